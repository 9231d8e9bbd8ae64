import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessProvider, type ProcessProviderOptions } from '../../../providers/process/index.js';
import { isLive, readStat } from '../../../providers/process/proc.js';
import type { ConformanceTarget } from './conformance.js';

/**
 * Temporary clusters of the process provider for tests. Node programs are script files, not `node -e`: node
 * rejects the `--cluster … --node …` the provider appends after `-e <code>` as options of its own.
 */

/** Node programs by node type; any other type idles. */
const SCRIPTS: Record<string, string> = {
  idle: 'setInterval(() => {}, 1000);',
  hello: "console.log('hello from ' + process.argv.slice(2).join(' ')); setInterval(() => {}, 1000);",
  parent: [
    "import { spawn } from 'node:child_process';",
    "const c = spawn('sleep', ['300'], { stdio: 'ignore' });",
    "console.log('child ' + c.pid); setInterval(() => {}, 1000);",
  ].join('\n'),
};

/** A cluster of the process provider in its own temporary directory. */
export interface ProcessCluster extends ConformanceTarget {
  provider: ProcessProvider;
  clusterName: string;
  root: string;
  stateDir: string;
  /** The pid and start time recorded for a node. */
  record(id: string): Promise<{ pid: number; startTime: number }>;
  crash(id: string): Promise<void>;
}

/** Polls until `cond` holds; fails after `ms` (a bound for hangs, not a goal) with `what` in the message. */
export async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Whether the process started as (pid, startTime) has exited (a zombie has: it only waits to be reaped). */
export async function exited(pid: number, startTime: number): Promise<boolean> {
  const s = await readStat(pid);
  return s === undefined || s.startTime !== startTime || !isLive(s);
}

/** Kills one process we started, by pid, if it is still the one we started. */
export async function killIfOurs(pid: number, startTime: number): Promise<void> {
  if (await exited(pid, startTime)) return;
  process.kill(pid, 'SIGKILL');
  await until(`pid ${pid} to exit`, () => exited(pid, startTime));
}

/** A process of the test's own, standing in for an unrelated one. */
export interface Stranger {
  pid: number;
  startTime: number;
  /**
   * Whether it still answers a line on stdin. A signal that kills it and was sent before this call is delivered
   * before it can read the line, so `true` means no such signal was sent, however slowly the machine runs.
   */
  answers(): Promise<boolean>;
}

/** Starts a detached stranger (a group and session of its own) that answers each line on stdin. */
export async function startStranger(): Promise<Stranger> {
  const child = spawn(process.execPath, ['-e', "process.stdin.on('data', () => process.stdout.write('pong\\n'))"], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  child.unref();
  child.stdin.on('error', () => undefined); // EPIPE once it is gone: answers() reports that through 'exit'
  const ended = new Promise<false>((resolve) => child.once('exit', () => resolve(false)));
  const stat = child.pid === undefined ? undefined : await readStat(child.pid);
  if (stat === undefined) throw new Error('could not start the stranger');
  return {
    pid: stat.pid,
    startTime: stat.startTime,
    answers: () => {
      const pong = new Promise<true>((resolve) => child.stdout.once('data', () => resolve(true)));
      child.stdin.write('ping\n');
      return Promise.race([pong, ended]);
    },
  };
}

/** The signals pending for a process, by number (from /proc/<pid>/status); empty once it is gone. */
export function pendingSignals(pid: number): Set<number> {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return new Set();
  }
  const mask = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].reduce((m, x) => m | BigInt(`0x${x[1] ?? '0'}`), 0n);
  return new Set(Array.from({ length: 64 }, (_, i) => i + 1).filter((sig) => (mask >> BigInt(sig - 1)) & 1n));
}

/** Makes a fresh cluster; cleanup() terminates its nodes and removes its directory. */
export async function processCluster(opts: Partial<ProcessProviderOptions> = {}): Promise<ProcessCluster> {
  const root = await mkdtemp(join(tmpdir(), 'raylaunch-process-'));
  await Promise.all(Object.entries(SCRIPTS).map(([name, code]) => writeFile(join(root, `${name}.mjs`), code)));
  const stateDir = join(root, 'state');
  const clusterName = `test-${randomBytes(4).toString('hex')}`;
  const provider = new ProcessProvider({
    clusterName,
    stateDir,
    graceMs: 2000,
    command: (_kind, nodeType) => ({
      file: process.execPath,
      args: [join(root, `${nodeType in SCRIPTS ? nodeType : 'idle'}.mjs`)],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    }),
    ...opts,
  });
  const record = async (id: string): Promise<{ pid: number; startTime: number }> => {
    const rec = JSON.parse(await readFile(join(stateDir, 'nodes', `${id}.json`), 'utf8')) as { pid: number; startTime: number };
    return { pid: rec.pid, startTime: rec.startTime };
  };
  return {
    provider, clusterName, root, stateDir, record,
    crash: async (id) => {
      const { pid, startTime } = await record(id);
      process.kill(-pid, 'SIGKILL');
      await until(`node ${id} to die`, () => exited(pid, startTime));
    },
    cleanup: async () => {
      try {
        await provider.terminate((await provider.listNodes()).map((n) => n.id));
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
