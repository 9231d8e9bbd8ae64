import { TransientProviderError } from '../errors.js';
import { findOwned, type Owned } from './proc.js';
import { pollUntil } from '../../src/common/wait.js';

/** How often terminate() looks whether the tree is gone. */
const POLL_MS = 50;
/** After SIGKILL only uninterruptible sleep (D state) delays an exit; give that a moment, no more. */
const KILL_WAIT_MS = 2000;

function send(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // ESRCH: it exited meanwhile. EPERM: not ours to signal after all; the final check reports what remains.
  }
}

function signalTree(pid: number, owned: Owned, signal: NodeJS.Signals): void {
  // The group signal also reaches members forked since the scan; it is only safe while the leader is verified.
  if (owned.leaderAlive) send(-pid, signal);
  for (const p of owned.procs) if (!(owned.leaderAlive && p.pgid === pid)) send(p.pid, signal);
}

/** The tree once gone, or what is left of it after `ms`. */
async function waitGone(pid: number, startTime: number, ms: number): Promise<Owned> {
  let last: Owned | undefined;
  const gone = await pollUntil(async () => {
    last = await findOwned(pid, startTime);
    return last.procs.length === 0 ? last : undefined;
  }, { timeoutMs: ms, every: POLL_MS });
  // pollUntil calls the probe at least once, so `last` is set.
  return gone ?? (last as Owned);
}

/**
 * Stops the process tree of the node started as (pid, startTime): SIGTERM, up to graceMs to exit, then SIGKILL.
 * The SIGTERM goes to the node's own service alone while it lives: it stops what it started itself (a head records
 * its running jobs as stopped before their drivers go), where a signal to the whole tree at once would have its
 * children die under it. Only processes findOwned() vouches for are signalled, never anything found by name.
 */
export async function terminateTree(id: string, pid: number, startTime: number, graceMs: number): Promise<void> {
  let owned = await findOwned(pid, startTime);
  if (owned.procs.length === 0) return;
  if (owned.leaderAlive) send(pid, 'SIGTERM');
  else signalTree(pid, owned, 'SIGTERM');
  owned = await waitGone(pid, startTime, graceMs);
  if (owned.procs.length === 0) return;
  signalTree(pid, owned, 'SIGKILL');
  owned = await waitGone(pid, startTime, KILL_WAIT_MS);
  if (owned.procs.length > 0) {
    const pids = owned.procs.map((p) => p.pid).join(', ');
    throw new TransientProviderError(`node ${id}: processes ${pids} survived SIGKILL`, { hint: 'Run `down` again in a moment.' });
  }
}
