// Process plumbing for the test hosts: running tools, telling live processes from dead ones, killing by PID, and
// the machine-wide setup lock.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';

/** Absolute path of a system tool, or undefined. Absolute so that a test's PATH cannot swap in something else. */
export function tool(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end without a shell; never rejects, a failure shows in `code` (127: could not start). */
export function run(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const code = typeof err.code === 'number' ? err.code : err.code ? 127 : 128;
      const why = err.signal ? `\n(killed by ${err.signal}${err.killed ? ' after the timeout' : ''})` : typeof err.code === 'string' ? `\n${err.message}` : '';
      resolve({ code, stdout, stderr: stderr + why });
    });
    // A program may exit without reading its input; that EPIPE is no error of ours, its exit code tells.
    child.stdin?.on('error', () => {});
    // Closed at once when there is no input: a command that reads stdin must see EOF, not wait forever.
    if (opts.input === undefined) child.stdin?.end();
    else child.stdin?.end(opts.input);
  });
}

/** Like `run`, but a non-zero exit is an error that carries the command and its stderr. */
export async function must(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    const input = opts.input ? `\n${opts.input.trim()}` : '';
    throw new Error(`${basename(file)} ${args.join(' ')}${input}\nexited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ProcStat {
  state: string;
  startTime: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its closing one are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** A zombie has finished: it only waits for its parent, so it counts as gone. */
export function isAlive(pid: number): boolean {
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** "PID STARTTIME": the start time tells a live owner from a new process that got the same PID later. */
export function ownerRecord(pid = process.pid): string {
  return `${pid} ${procStat(pid)?.startTime ?? 0}\n`;
}

export function ownerAlive(record: string | undefined): boolean {
  const [pid, startTime] = (record ?? '').trim().split(' ').map(Number);
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X' && s.startTime === startTime;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL whatever is still there after `graceMs`; resolves once all are gone (or 2 s after SIGKILL). */
export async function killAll(pids: number[], graceMs: number): Promise<void> {
  let left = pids.filter(isAlive);
  for (const pid of left) signal(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  for (const [sig, ms] of [['SIGKILL', graceMs], [undefined, 2000]] as const) {
    const until = Date.now() + ms;
    while (left.length > 0 && Date.now() < until) {
      await sleep(10);
      left = left.filter(isAlive);
    }
    if (sig) for (const pid of left) signal(pid, sig);
  }
}

// An abstract Unix socket as a mutex: binding is atomic, and the kernel frees the name when the holder dies, so
// a crashed run can never leave the lock taken. It guards claiming host numbers, reaping leftovers and the bridge.
const LOCK_NAME = '\0raylaunch-test-hosts-setup';

function tryListen(): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(LOCK_NAME, () => resolve(server));
  });
}

export async function withSetupLock<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let server = await tryListen();
  while (!server) {
    if (Date.now() > until) throw new Error(`test hosts: another process held the setup lock for over ${timeoutMs / 1000} s`);
    await sleep(5 + Math.random() * 20);
    server = await tryListen();
  }
  server.unref();
  try {
    return await fn();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
