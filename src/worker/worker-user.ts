/**
 * `raylaunch.worker_user`: where the agent runs as root, its worker processes run as this unprivileged user. What
 * they need is given to it (the job's folder, the folder of objects handed over in shared memory); the agent's own
 * files (token, logs, node folder) stay root's, 0600/0700, which that user cannot read.
 */
import { chownSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WorkerUser { name: string; uid: number; gid: number }

/** worker_user cannot be used here: named, what is wrong, what to do. */
export class WorkerUserError extends Error {
  override readonly name = 'WorkerUserError';
}

/** The user's uid and gid, from the passwd file (as getpwnam(3) reads it on hosts without a directory service). */
export function lookupWorkerUser(name: string, uid: number | undefined, passwd = '/etc/passwd'): WorkerUser {
  if (uid !== 0) throw new WorkerUserError(`raylaunch.worker_user "${name}" needs the agent to run as root (it runs as uid ${uid ?? '?'}): run it as root, or remove worker_user`);
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const [user, , u, g] = line.split(':');
    if (user !== name) continue;
    const found = { name, uid: Number(u), gid: Number(g) };
    if (!Number.isSafeInteger(found.uid) || !Number.isSafeInteger(found.gid)) break;
    if (found.uid === 0) throw new WorkerUserError(`raylaunch.worker_user "${name}" is root: name an unprivileged user`);
    return found;
  }
  throw new WorkerUserError(`raylaunch.worker_user "${name}" is no user on this host (${passwd}): create it, or name another`);
}

/** Gives a folder and what is in it to the worker user (never following a link out of it). */
export function giveTo(path: string, user: WorkerUser): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  chownSync(path, user.uid, user.gid);
  if (st.isDirectory()) for (const name of readdirSync(path)) giveTo(join(path, name), user);
}

/** A folder or file on the way to something the worker user needs, as stat sees it. */
export interface PathFacts { path: string; mode: number; uid: number }

export function pathFacts(path: string): PathFacts {
  const st = statSync(path);
  return { path, mode: st.mode & 0o777, uid: st.uid };
}

/** `path` and every folder above it, from `/` down. */
export function pathsDownTo(path: string): PathFacts[] {
  const chain: PathFacts[] = [];
  for (let d = path; ; d = dirname(d)) {
    chain.unshift(pathFacts(d));
    if (dirname(d) === d) return chain;
  }
}

/**
 * Those of `folders` the worker user cannot pass through: closed to others (no o+x) and not its own. Group bits
 * are not counted: raylaunch's folders are root's, and a worker user in root's group is not one to plan for.
 */
export const closedTo = (folders: readonly PathFacts[], user: WorkerUser): PathFacts[] =>
  folders.filter((f) => (f.uid === user.uid ? f.mode & 0o100 : f.mode & 0o001) === 0);

/** Whether the worker user may read a file (others may, or it is the user's own and readable to it). */
export const readableBy = (file: PathFacts, user: WorkerUser): boolean => (file.uid === user.uid ? file.mode & 0o400 : file.mode & 0o004) !== 0;

/** How a closed folder is named in an error: its path and mode. */
export const describeClosed = (folders: readonly PathFacts[]): string => folders.map((f) => `${f.path} (mode ${f.mode.toString(8)})`).join(', ');

/**
 * Refuses a node folder the worker user cannot reach: its job's folder lies below it. Every folder from `/` down to
 * `dir` must let others pass (o+x; listing is not needed), unless the worker user owns it.
 */
export function assertReachable(dir: string, user: WorkerUser): void {
  const closed = closedTo(pathsDownTo(dir), user);
  if (closed.length > 0) {
    throw new WorkerUserError(`raylaunch.worker_user "${user.name}" cannot reach the node's folder ${dir}: ${describeClosed(closed)} ${closed.length === 1 ? 'is' : 'are'} closed to other users; `
      + 'let others pass through every folder above it (chmod o+x), or set RAYLAUNCH_HOME to a folder they can pass');
  }
}
