/**
 * `node supervisor.js --kind head|worker --cluster NAME --node ID`: keeps a node's daemon (the head service or
 * the agent, from the same runtime folder) running on a machine reached over SSH, where nobody else would
 * notice it crash. Started detached with its output appended to the node's log; the daemon inherits both.
 * A worker's node credential arrives as the first line of stdin (from the node updater over SSH): it is kept
 * only in this process's memory and written to each agent it starts over that agent's stdin pipe, so no file on
 * the node holds it and no environment a task could inherit carries it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeEntry } from '../common/package-root.js';
import { readSecretLine } from '../common/stdin-secret.js';
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

const name = kind === 'head' ? 'head' : 'agent';
const entry = runtimeEntry(kind === 'head' ? 'src/head/main.js' : 'src/worker/main.js');
const pidFile = join(stateDir, 'supervisor.pid');
const log = (s: string) => process.stdout.write(`${new Date().toISOString()} raylaunch supervisor: ${s}\n`);

let child: ChildProcess | undefined;
let history: RestartHistory = { startedAt: Date.now(), lastDelayMs: null };
let restartTimer: NodeJS.Timeout | undefined;
let stopping = false;

// Read before anything else, so the SSH channel that brought it can close; the head needs none (its agent is in process).
let credential = '';
if (kind === 'worker') credential = await readSecretLine(process.stdin);
else process.stdin.destroy();
if (kind === 'worker' && !credential) usage('a worker\'s node credential must arrive as the first line of stdin');

function start(delayMs: number | null): void {
  restartTimer = undefined;
  history = { startedAt: Date.now(), lastDelayMs: delayMs };
  const c = spawn(process.execPath, ['--enable-source-maps', entry, '--cluster', cluster, '--node', node], { stdio: [kind === 'worker' ? 'pipe' : 'ignore', 'inherit', 'inherit'] });
  c.stdin?.on('error', () => undefined); // a child that dies at once: its exit is what matters
  c.stdin?.end(`${credential}\n`);
  child = c;
  let ended = false;
  const end = (exit: ChildExit) => {
    if (ended) return;
    ended = true;
    child = undefined;
    childEnded(exit);
  };
  c.on('exit', (code, signal) => end({ code, signal }));
  c.on('error', (e) => {
    // Also emitted when a kill fails; only a child that never got a pid has ended here.
    if (c.pid !== undefined) return;
    log(`cannot start the ${name}: ${e.message}`);
    end({ code: null, signal: null });
  });
}

function childEnded(exit: ChildExit): void {
  if (stopping) process.exit(0);
  const decision = restartDecision(exit, history, Date.now());
  if (!decision.restart) {
    log(`${name} exited (${describeExit(exit)}); not restarting`);
    process.exit(0);
  }
  log(`${name} exited (${describeExit(exit)}); restarting in ${decision.delayMs / 1000} s`);
  restartTimer = setTimeout(() => start(decision.delayMs), decision.delayMs);
}

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  clearTimeout(restartTimer);
  const c = child;
  if (!c) process.exit(0);
  log(`${signal}: stopping the ${name}`);
  c.kill('SIGTERM');
  setTimeout(() => {
    log(`the ${name} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
    c.kill('SIGKILL');
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
start(null);
