/**
 * Large objects reach a node's worker processes as files in shared memory (/dev/shm). Another local user can
 * see every process's pid and node id, so the folder is named at random (mkdtemp: made by us, or not at all),
 * checked to be ours and private before anything goes in, and each file is created new, never through a link
 * or over a file someone else put there. Folders of agents that were killed are removed when the next one
 * starts: only folders owned by this user (or given to the worker user) whose agent process is gone.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, constants, existsSync, fchownSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** `raylaunch-<agent pid>-<mkdtemp's 6 random characters>` */
const FOLDER = /^raylaunch-(\d+)-[A-Za-z0-9]{6}$/;
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Whether a process is running (one of another user's counts too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A folder that is a folder, not a link, owned by this user and open to no one else. */
function isOurs(path: string, mode?: number): boolean {
  const st = lstatSync(path);
  return st.isDirectory() && st.uid === process.getuid?.() && (mode === undefined || (st.mode & 0o777) === mode);
}

export class ObjectFiles {
  private dir: string | undefined;

  /** `base`: /dev/shm where there is one; `owner`: the worker user, who reads (and deletes) the files. */
  constructor(private readonly base: string, private readonly owner?: { uid: number; gid: number }) {}

  /** Writes `data` to a new file named `name` in this agent's folder (made on first use); returns its path. */
  write(name: string, data: Uint8Array): string {
    const file = join(this.folder(), name);
    const fd = openSync(file, CREATE_NEW, 0o600);
    try {
      if (this.owner) fchownSync(fd, this.owner.uid, this.owner.gid);
      for (let at = 0; at < data.byteLength;) at += writeSync(fd, data, at);
    } finally {
      closeSync(fd);
    }
    return file;
  }

  /** Removes this agent's folder and what is left in it. */
  remove(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private folder(): string {
    if (this.dir) return this.dir;
    mkdirSync(this.base, { recursive: true, mode: 0o700 }); // a node's own folder, where there is no /dev/shm
    const dir = mkdtempSync(join(this.base, `raylaunch-${process.pid}-`));
    if (!isOurs(dir, 0o700)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${dir} is not a private folder of this user`);
    }
    // Checked as ours first, then given to the worker user: it reads the files and deletes each it took.
    if (this.owner) chownSync(dir, this.owner.uid, this.owner.gid);
    this.dir = dir;
    return dir;
  }
}

/**
 * Removes the folders of this user's agents that are no longer running; returns what it removed. With `workerUser`,
 * also those of dead agents that had been given to that user (raylaunch.worker_user): they are removed as that user
 * (`rm` run with its uid), so whatever a task of that user put in them, or made of them, root follows no link of it.
 */
export function removeStaleFolders(base: string, alive: (pid: number) => boolean = processAlive, workerUser?: { uid: number; gid: number }): string[] {
  const removed: string[] = [];
  const given: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(FOLDER.exec(name)?.[1] ?? NaN);
    if (!Number.isSafeInteger(pid) || pid === process.pid) continue;
    const path = join(base, name);
    try {
      // The name alone proves nothing: anyone can make one. Only our own folders, of agents that are gone.
      if (alive(pid)) continue;
      if (isOurs(path)) {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
      } else if (workerUser && isOwnedBy(path, workerUser.uid)) {
        given.push(path);
      }
    } catch {
      // gone meanwhile, or not ours to look at
    }
  }
  if (given.length > 0) {
    spawnSync('rm', ['-rf', '--', ...given], { uid: workerUser?.uid, gid: workerUser?.gid, stdio: 'ignore', timeout: 30_000 });
    removed.push(...given.filter((path) => !existsSync(path)));
  }
  return removed;
}

/** A folder (not a link) owned by this uid. */
function isOwnedBy(path: string, uid: number): boolean {
  const st = lstatSync(path);
  return st.isDirectory() && st.uid === uid;
}
