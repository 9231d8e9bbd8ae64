import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { TransientProviderError } from '../errors.js';

/**
 * Reading /proc. A pid alone is not an identity (pids are recycled), so the provider always pairs it with the
 * process's start time, which the kernel never changes for the life of a process.
 */

/** The fields of /proc/<pid>/stat needed to tell our processes from strangers. */
export interface ProcStat {
  pid: number;
  /** Field 3: R, S, D, Z (zombie), ... */
  state: string;
  /** Field 5: process group id. */
  pgid: number;
  /** Field 6: session id. */
  sid: number;
  /** Field 22: start time in clock ticks since boot. */
  startTime: number;
}

/** Parses the text of /proc/<pid>/stat; undefined when it is not in the expected shape. */
export function parseStat(text: string): ProcStat | undefined {
  // comm (field 2) is free text in parentheses that may hold spaces and ')' itself: only the last ')' is reliable.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/); // rest[0] is field 3, so field n is rest[n - 3]
  const state = rest[0] ?? '';
  const [pgid, sid, startTime] = [rest[2], rest[3], rest[19]].map(Number);
  const nums = [pid, pgid, sid, startTime];
  if (state === '' || !nums.every((n) => n !== undefined && Number.isSafeInteger(n) && n >= 0)) return undefined;
  return { pid, state, pgid: pgid ?? 0, sid: sid ?? 0, startTime: startTime ?? 0 };
}

/** Whether the process can still do anything; a zombie has exited and only waits for its parent to reap it. */
export function isLive(s: ProcStat): boolean {
  return s.state !== 'Z' && s.state !== 'X' && s.state !== 'x';
}

function vanished(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  // ENOENT: no such pid; ESRCH: it exited while being read.
  return code === 'ENOENT' || code === 'ESRCH';
}

function unreadable(pid: number, e: unknown): TransientProviderError {
  // Anything else must not pass for "the process is gone": records of live nodes would be dropped.
  return new TransientProviderError(`cannot read /proc/${pid}/stat`, { cause: e, hint: 'Is /proc mounted and readable?' });
}

/** /proc/<pid>/stat, or undefined when there is no such process. */
export async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch (e) {
    if (vanished(e)) return undefined;
    throw unreadable(pid, e);
  }
}

/** Synchronous readStat, for the moment right after spawn, before the event loop could reap a child that died at once. */
export function readStatSync(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (e) {
    if (vanished(e)) return undefined;
    throw unreadable(pid, e);
  }
}

/** Every process on the machine (thread group leaders, as /proc lists them). */
export async function listProcs(): Promise<ProcStat[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch (e) {
    throw new TransientProviderError('cannot list /proc', { cause: e, hint: 'Is /proc mounted and readable?' });
  }
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/** What is left of a node's process tree. */
export interface Owned {
  /** The leader itself runs: signalling its group (-pid) is safe. */
  leaderAlive: boolean;
  /** Every live process of the tree, the leader included when alive. */
  procs: ProcStat[];
}

/**
 * The live processes that belong to the node started as (pid, startTime): the leader if its start time matches,
 * and the members of its process group or session that started no earlier. The kernel does not reuse a pid while
 * it still names a group or session, so once the pid slot holds a different process, the old tree is entirely
 * gone and whatever now has that pgid belongs to the newcomer — nothing is ours.
 */
export async function findOwned(pid: number, startTime: number, snapshot?: ProcStat[]): Promise<Owned> {
  const leader = await readStat(pid);
  if (leader !== undefined && leader.startTime !== startTime) return { leaderAlive: false, procs: [] };
  const all = snapshot ?? (await listProcs());
  const procs = all.filter((p) => isLive(p) && (p.pgid === pid || p.sid === pid) && p.startTime >= startTime);
  return { leaderAlive: leader !== undefined && isLive(leader), procs };
}
