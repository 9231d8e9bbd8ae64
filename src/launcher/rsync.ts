/**
 * rsync-up and rsync-down: the system rsync with the cluster's rsync_exclude and rsync_filter, through ssh with the
 * pinned options (or, for the process provider, between this folder and the nodes' folders on this machine).
 * Paths mean what rsync makes of them, trailing slash included: `dir/` copies the folder's contents.
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync } from 'node:fs';
import { dirname, posix, resolve } from 'node:path';
import { nodeDir } from '../common/node-args.js';
import { RaylaunchError } from '../common/errors.js';
import { expandHome } from '../config/load.js';
import { FileSyncError, remotePath, rsyncFilterArgs, type SyncFilters } from '../updater/file-sync.js';
import type { SshTarget } from '../updater/runner.js';
import { SshPool } from '../updater/ssh/pool.js';
import { providerKind } from '../../providers/index.js';
import { lookup } from '../updater/known-hosts.js';
import { reachWorkers } from './worker-pins.js';
import { aliveWorkers } from './session.js';
import { login, rsyncShell, type HeadAccess } from './ssh-commands.js';

/** rsync did not finish (or is not installed); its own message is printed above. Exit 1. */
export class RsyncError extends RaylaunchError {
  override readonly name = 'RsyncError';
  readonly code = 'rsync_failed';
  readonly exitCode = 1;
}

export interface RsyncRequest {
  direction: 'up' | 'down';
  /** up: a local path; down: a path on the head */
  source: string;
  /** up: a path on the nodes; down: a local path */
  target: string;
  /** up only: the workers too, not just the head */
  allNodes: boolean;
}

export interface RsyncResult {
  /** each copy made, as rsync was given its ends (`user@host:path` for a node reached over SSH) */
  copies: { from: string; to: string }[];
  /** workers the head listed that were not copied to, and why */
  skipped: { host: string; reason: string }[];
}

/** A local path rsync would take for a remote one (`a:b`) is made explicitly local. */
const localArg = (p: string) => (/^[^/]*:/.test(p) ? `./${p}` : p);

/** The remote folder to create before an upload: the target's parent, or the target itself when it ends in `/`. */
export function remoteMkdir(target: string): string | undefined {
  const folder = target.endsWith('/') ? target.replace(/\/+$/, '') || '/' : posix.dirname(target);
  return ['.', '~', '', '/'].includes(folder) ? undefined : `mkdir -p ${remotePath(folder)}`;
}

/** rsync's arguments for one copy to (up) or from (down) a node reached over SSH. */
export function sshRsyncArgs(t: SshTarget, r: Pick<RsyncRequest, 'direction' | 'source' | 'target'>, f: SyncFilters): string[] {
  const common = ['-a', ...rsyncFilterArgs(f), '-e', rsyncShell(t)];
  if (r.direction === 'down') return [...common, `${login(t)}:${r.source}`, localArg(r.target)];
  const mkdir = remoteMkdir(r.target);
  // the folder is made by the same ssh login that runs the receiving rsync: no second connection
  return [...common, ...(mkdir ? [`--rsync-path=${mkdir} && rsync`] : []), localArg(r.source), `${login(t)}:${r.target}`];
}

const RSYNC_CODES: Record<number, string> = {
  1: 'bad arguments', 3: 'cannot use the source or the target', 11: 'file I/O error', 12: 'the connection broke off',
  23: 'some files could not be copied', 24: 'source files vanished while copying', 255: 'ssh could not log in',
};

function runRsync(args: string[], what: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn('rsync', args, { stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) => rej(e.code === 'ENOENT'
      ? new RsyncError('rsync is not installed on this machine', { hint: 'install it (apt-get install rsync, brew install rsync)' })
      : e));
    child.on('close', (code, signal) => {
      if (code === 0) return res();
      const why = code === null ? `ended by ${signal ?? 'a signal'}` : `exit code ${code}${RSYNC_CODES[code] ? `: ${RSYNC_CODES[code]}` : ''}`;
      rej(new RsyncError(`rsync ${what} failed (${why})`, { hint: 'rsync\'s own message is above' }));
    });
  });
}

function mustExist(path: string, what: string): void {
  try {
    lstatSync(path);
  } catch {
    throw new FileSyncError(`${what} ${path} does not exist`, { hint: 'check the path (relative paths are relative to the folder you run raylaunch in)' });
  }
}

/** The parent folder of a local target (or the target itself when it ends in `/`), made before copying there. */
function makeLocalFolder(target: string): void {
  mkdirSync(target.endsWith('/') ? target : dirname(target), { recursive: true });
}


export async function rsyncCluster(access: HeadAccess, f: SyncFilters, req: RsyncRequest): Promise<RsyncResult> {
  // a quoted `~/x` on this machine's side means what the shell would have made of it
  const r = req.direction === 'up' ? { ...req, source: expandHome(req.source) } : { ...req, target: expandHome(req.target) };
  if (r.direction === 'up') mustExist(resolve(r.source), 'the local path');
  return access.kind === 'ssh' ? rsyncOverSsh(access, f, r) : rsyncLocal(access, f, r);
}

async function rsyncOverSsh(access: Extract<HeadAccess, { kind: 'ssh' }>, f: SyncFilters, r: RsyncRequest): Promise<RsyncResult> {
  const { head } = access;
  if (r.direction === 'down') {
    const from = `${login(head)}:${r.source}`;
    makeLocalFolder(r.target);
    await runRsync(sshRsyncArgs(head, r, f), `from ${from}`);
    return { copies: [{ from, to: r.target }], skipped: [] };
  }
  // Workers by the address the cluster knows them by: the one this machine reaches for the local provider.
  const listed = r.allNodes ? (await aliveWorkers(access.name)).map((n) => n.address) : [];
  const reach = listed.length > 0 ? await pinnedWorkers(access, listed) : { targets: [], refused: [] };
  const targets: SshTarget[] = [head, ...reach.targets];
  const copies: RsyncResult['copies'] = [];
  for (const t of targets) {
    const to = `${login(t)}:${r.target}`;
    await runRsync(sshRsyncArgs(t, r, f), `to ${to}`);
    copies.push({ from: r.source, to });
  }
  return { copies, skipped: reach.refused };
}

/**
 * The workers' logins with the host keys to trust (worker-pins.ts). The system ssh pins nothing itself: a host
 * the config names that this machine has not met yet is met here first, over ssh2, which pins its key.
 */
async function pinnedWorkers(access: Extract<HeadAccess, { kind: 'ssh' }>, listed: string[]) {
  const pool = new SshPool({ connectTimeoutMs: 30_000 });
  try {
    const configHosts = providerKind(access.config.provider.type).hostPool?.(access.config).workers ?? [];
    const reach = await reachWorkers({ head: access.head, cluster: access.name, dir: access.dir, configHosts, listed, headRunner: pool.runner(access.head) });
    for (const t of reach.targets) {
      if (!t.requirePinned && (await lookup(t.knownHostsPath, t.host, 22)).length === 0) await pool.runner(t).run('true');
    }
    return reach;
  } finally {
    await pool.close();
  }
}

/**
 * The process provider: the nodes' folders are on this machine, and a node-side path means what it would in a
 * shell there (exec runs in the head's folder): relative to the node's folder, `~` this machine's home.
 */
async function rsyncLocal(access: Extract<HeadAccess, { kind: 'local' }>, f: SyncFilters, r: RsyncRequest): Promise<RsyncResult> {
  const nodePath = (folder: string, p: string) => resolve(folder, expandHome(p)) + (p.endsWith('/') ? '/' : '');
  const filters = rsyncFilterArgs(f);
  if (r.direction === 'down') {
    const source = nodePath(access.shell.cwd, r.source);
    mustExist(source, 'the path on the head');
    makeLocalFolder(r.target);
    await runRsync(['-a', ...filters, source, localArg(r.target)], `from ${source}`);
    return { copies: [{ from: source, to: r.target }], skipped: [] };
  }
  const workers = r.allNodes ? (await aliveWorkers(access.name)).map((n) => nodeDir(access.dir, n.nodeId)) : [];
  const folders = [access.shell.cwd, ...workers];
  // an absolute target is the same place for every node here: copied once
  const targets = [...new Set(folders.map((d) => nodePath(d, r.target)))];
  for (const t of targets) {
    makeLocalFolder(t);
    await runRsync(['-a', ...filters, localArg(r.source), t], `to ${t}`);
  }
  return { copies: targets.map((to) => ({ from: r.source, to })), skipped: [] };
}
