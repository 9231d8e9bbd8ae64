/**
 * file_mounts and cluster_synced_files: which files go is decided by the local `rsync -a --list-only` with the
 * cluster's rsync_exclude and rsync_filter (so a `.gitignore`d file never leaves this machine, exactly as Ray's
 * rsync would skip it), and the files travel as one tar stream over the node's existing SSH connection: one
 * round trip for a thousand small files instead of a connection per file.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { RaylaunchError } from '../common/errors.js';
import { shq } from './remote.js';
import type { CommandRunner } from './runner.js';

/** A file mount's local side is missing or unreadable, or the copy failed on the node. */
export class FileSyncError extends RaylaunchError {
  override readonly name = 'FileSyncError';
  readonly code = 'file_sync_failed';
  readonly exitCode = 1;
}

export interface SyncFilters {
  rsync_exclude: string[];
  rsync_filter: string[];
}

/** rsync's arguments for the cluster's filters: `--exclude P` each, and Ray's `dir-merge,- FILE` per filter file. */
export function rsyncFilterArgs(f: SyncFilters): string[] {
  return [...f.rsync_exclude.flatMap((p) => ['--exclude', p]), ...f.rsync_filter.flatMap((p) => ['--filter', `dir-merge,- ${p}`])];
}

/**
 * Parses `rsync --list-only` output into paths relative to the listed folder: folders included (so empty
 * folders and modes arrive), "." dropped, symlink targets cut off.
 */
export function parseRsyncList(out: string): { path: string; dir: boolean }[] {
  const paths: { path: string; dir: boolean }[] = [];
  for (const line of out.split('\n')) {
    const m = /^([dl-][rwxsStT-]{9})\s+[\d,.]+\s+\S+\s+\S+\s+(.+)$/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    const name = m[1].startsWith('l') ? m[2].replace(/ -> .*$/, '') : m[2];
    if (name !== '.') paths.push({ path: name, dir: m[1].startsWith('d') });
  }
  return paths;
}

/** `~/x` → the local home; relative paths against `base` (the folder `up` runs in). */
export function localPath(p: string, base = process.cwd()): string {
  return resolve(base, p.replace(/^~(?=$|\/)/, homedir()));
}

/** A remote path as a shell expression: `~/x` and relative paths are under the login user's home. */
export function remotePath(p: string): string {
  if (p === '~' || p === '') return '"$HOME"';
  if (p.startsWith('~/')) return `"$HOME"/${shq(p.slice(2))}`;
  return p.startsWith('/') ? shq(p) : `"$HOME"/${shq(p)}`;
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e: NodeJS.ErrnoException) => rej(e.code === 'ENOENT'
      ? new FileSyncError(`${cmd} is not installed on this machine; raylaunch uses it to choose which files to sync`, { hint: `install ${cmd} (e.g. apt-get install ${cmd})` })
      : e));
    child.on('close', (code) => res({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The files of a local folder that the filters let through, relative to it. */
export async function listFiles(dir: string, f: SyncFilters): Promise<{ path: string; dir: boolean }[]> {
  const r = await run('rsync', ['-a', '--list-only', ...rsyncFilterArgs(f), `${dir.replace(/\/+$/, '')}/`]);
  if (r.code !== 0) throw new FileSyncError(`cannot list ${dir} with rsync: ${r.stderr.trim() || `exit ${r.code}`}`, { hint: 'check that rsync is installed and the folder is readable' });
  return parseRsyncList(r.stdout);
}

export interface SyncResult { files: number; bytes: number }

/**
 * Runs a local `tar` whose output `use` consumes (sent to a node). tar's failure (missing, unreadable files) is
 * a FileSyncError naming `what`; a failed `use` ends tar, so it never sits blocked on a full pipe.
 */
export async function withTar<T>(args: string[], what: string, use: (out: Readable) => Promise<T>, input?: string): Promise<T> {
  const tar = spawn('tar', args, { stdio: 'pipe' });
  let err = '';
  tar.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const done = new Promise<number>((res) => {
    tar.on('error', (e) => { err += e.message; res(127); });
    tar.on('close', (code) => res(code ?? 1));
  });
  // tar may exit before it has read its input (an error, or it needed none): its exit code says what went wrong,
  // and the EPIPE must not surface as an uncaught error of this process.
  tar.stdin.on('error', () => undefined);
  tar.stdin.end(input ?? '');
  let result: T;
  try {
    result = await use(tar.stdout);
  } catch (e) {
    tar.kill();
    throw e;
  }
  const code = await done;
  if (code !== 0) throw new FileSyncError(`${what} failed: ${err.trim() || `tar exited ${code}`}`, { hint: 'check that tar is installed and the files are readable' });
  return result;
}

/**
 * Copies one mount (`remote: local`) to the node: a folder's filtered contents into the remote folder, or a
 * single file to the remote path. Existing remote files are overwritten; nothing is deleted (as Ray's rsync).
 */
export async function syncMount(runner: CommandRunner, remote: string, local: string, f: SyncFilters): Promise<SyncResult> {
  let st;
  try {
    st = statSync(local);
  } catch {
    throw new FileSyncError(`file_mounts: the local path ${local} (for ${remote}) does not exist`, { hint: 'fix the path in file_mounts (local paths are relative to the folder you run raylaunch in)' });
  }
  const dest = remotePath(remote);
  const entries = st.isDirectory() ? await listFiles(local, f) : [{ path: basename(local), dir: false }];
  const base = st.isDirectory() ? local : dirname(local);
  const unpack = st.isDirectory()
    ? `mkdir -p ${dest} && tar -xf - -C ${dest}`
    : `mkdir -p "$(dirname ${dest})" && t=$(mktemp -d "$(dirname ${dest})/.raylaunch-XXXXXX") && tar -xf - -C "$t" && mv -f "$t"/${shq(basename(local))} ${dest}; rc=$?; rm -rf "$t"; exit $rc`;
  let bytes = 0;
  const r = await withTar(['-cf', '-', '-C', base, '--no-recursion', '--null', '-T', '-'], `packing ${local} for ${remote}`, (out) => {
    out.on('data', (d: Buffer) => { bytes += d.length; });
    return runner.run(unpack, { stdin: out });
  }, entries.map((e) => `${e.path}\0`).join(''));
  if (r.code !== 0) throw new FileSyncError(`copying ${local} to ${runner.host}:${remote} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`, { hint: 'check that the remote folder is writable by the SSH user and the disk is not full' });
  return { files: entries.filter((e) => !e.dir).length, bytes };
}
