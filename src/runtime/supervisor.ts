/**
 * `node supervisor.js --kind head|worker --cluster NAME --node ID`: keeps a node's daemons running where nobody
 * else would notice them crash (a host reached over SSH, or the process provider's head). A worker node has one,
 * its agent; the head node has two, the head service and the head node's own agent, each restarted on its own,
 * so a crash of the head service leaves the agent and its worker processes (and the jobs' drivers, which are
 * detached) running. Started detached with its output appended to the node's log; the daemons inherit it.
 *
 * Node credentials never touch a file, argv or an environment a task could inherit:
 * - a worker's arrives as the first line of stdin (from the node updater over SSH, or the process provider) and
 *   is written to each agent this supervisor starts over the agent's stdin pipe;
 * - the head node's is minted here, kept in this process's memory and written to both the head service (which
 *   admits it for this node only, for as long as it runs) and the head node's agent, on every (re)start of
 *   either; a new supervisor mints a new one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeEntry } from '../common/package-root.js';
import { readSecretLine } from '../common/stdin-secret.js';
import { mintCredential } from '../common/credentials.js';
import { type ChildExit, describeExit, restartDecision, type RestartHistory } from './restart-policy.js';

/** How long the daemon gets to shut down cleanly after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000;

function flag(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) usage(`missing ${name}`);
  return v;
}

function usage(problem: string): never {
  process.stderr.write(`raylaunch supervisor: ${problem}\nusage: node supervisor.js --kind head|worker --cluster NAME --node ID\n`);
  process.exit(2);
}

const kind = flag('--kind');
if (kind !== 'head' && kind !== 'worker') usage(`--kind must be head or worker, not "${kind}"`);
const cluster = flag('--cluster');
const node = flag('--node');
const stateDir = process.env.RAYLAUNCH_STATE_DIR;
if (!stateDir) usage('RAYLAUNCH_STATE_DIR must be set');

const log = (s: string) => process.stdout.write(`${new Date().toISOString()} raylaunch supervisor: ${s}\n`);
const pidFile = join(stateDir, 'supervisor.pid');

/** One daemon this supervisor keeps running, and what it remembers of it between restarts. */
interface Daemon {
  name: 'head' | 'agent';
  entry: string;
  /** More arguments after the node's identity. */
  args: string[];
  /** More environment (the head's address, for the head node's agent). */
  env: Record<string, string>;
  /** A clean exit is restarted too (the head node's agent): it only ends with the supervisor. */
  evenClean: boolean;
  child: ChildProcess | undefined;
  history: RestartHistory;
  restartTimer: NodeJS.Timeout | undefined;
}

const daemon = (name: Daemon['name'], entry: string, o: Partial<Pick<Daemon, 'args' | 'evenClean'>> = {}): Daemon => ({
  name, entry, args: o.args ?? [], env: {}, evenClean: o.evenClean ?? false, child: undefined, history: { startedAt: 0, lastDelayMs: null }, restartTimer: undefined,
});

let stopping = false;

// Read before anything else, so the SSH channel that brought it can close. The head node's credential is made here.
let credential = '';
if (kind === 'worker') credential = await readSecretLine(process.stdin);
else {
  process.stdin.destroy();
  credential = mintCredential('node');
}
if (kind === 'worker' && !credential) usage('a worker\'s node credential must arrive as the first line of stdin');

const agent = daemon('agent', runtimeEntry('src/worker/main.js'), kind === 'head' ? { args: ['--kind', 'head'], evenClean: true } : {});
const head = kind === 'head' ? daemon('head', runtimeEntry('src/head/main.js')) : undefined;
const daemons = [head, agent].filter((d): d is Daemon => d !== undefined);

function start(d: Daemon, delayMs: number | null): void {
  d.restartTimer = undefined;
  d.history = { startedAt: Date.now(), lastDelayMs: delayMs };
  // The head tells where it listens over an IPC channel: the head node's agent starts once it knows.
  const c = spawn(process.execPath, ['--enable-source-maps', d.entry, '--cluster', cluster, '--node', node, ...d.args], {
    stdio: ['pipe', 'inherit', 'inherit', ...(d === head ? ['ipc' as const] : [])],
    env: { ...process.env, ...d.env },
  });
  c.stdin?.on('error', () => undefined); // a child that dies at once: its exit is what matters
  c.stdin?.end(`${credential}\n`);
  if (d === head) c.on('message', (m) => headSaid(m));
  d.child = c;
  let ended = false;
  const end = (exit: ChildExit) => {
    if (ended) return;
    ended = true;
    d.child = undefined;
    childEnded(d, exit);
  };
  c.on('exit', (code, signal) => end({ code, signal }));
  c.on('error', (e) => {
    // Also emitted when a kill fails; only a child that never got a pid has ended here.
    if (c.pid !== undefined) return;
    log(`cannot start the ${d.name}: ${e.message}`);
    end({ code: null, signal: null });
  });
}

/** The head listens: its node's agent starts (once; a restarted head listens at the same address). */
function headSaid(m: unknown): void {
  const address = (m as { type?: unknown; address?: unknown } | null)?.type === 'listening' ? (m as { address: unknown }).address : undefined;
  if (typeof address !== 'string' || stopping || agent.child || agent.restartTimer || agent.history.startedAt > 0) return;
  agent.env = { RAYLAUNCH_HEAD_ADDRESS: address };
  start(agent, null);
}

function childEnded(d: Daemon, exit: ChildExit): void {
  if (stopping) {
    if (daemons.every((x) => x.child === undefined)) process.exit(0);
    return;
  }
  const decision = restartDecision(exit, d.history, Date.now(), { evenClean: d.evenClean });
  if (!decision.restart) {
    log(`${d.name} exited (${describeExit(exit)}); not restarting`);
    return stop('the end of the node\'s service');
  }
  log(`${d.name} exited (${describeExit(exit)}); restarting ${decision.delayMs === 0 ? 'now' : `in ${decision.delayMs / 1000} s`}`);
  d.restartTimer = setTimeout(() => start(d, decision.delayMs), decision.delayMs);
}

function stop(why: string): void {
  if (stopping) return;
  stopping = true;
  for (const d of daemons) clearTimeout(d.restartTimer);
  const live = daemons.filter((d) => d.child !== undefined);
  if (live.length === 0) process.exit(0);
  log(`${why}: stopping the ${live.map((d) => d.name).join(' and the ')}`);
  for (const d of live) d.child?.kill('SIGTERM');
  setTimeout(() => {
    for (const d of daemons) {
      if (!d.child) continue;
      log(`the ${d.name} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
      d.child.kill('SIGKILL');
    }
  }, STOP_GRACE_MS);
}

// Only our own pid file goes: a newer supervisor of this node may have replaced it.
process.on('exit', () => {
  try {
    if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
  } catch {
    // already gone
  }
});
writeFileSync(`${pidFile}.tmp`, `${process.pid}\n`, { mode: 0o600 });
renameSync(`${pidFile}.tmp`, pidFile);
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
start(daemons[0] as Daemon, null);
