/**
 * Writing a file on a node over SFTP: parents created, content written to a temporary name with its final mode and
 * renamed over the target, so a reader sees the old file or the new one and a secret is never world-readable.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';

/** SFTP's status code for a missing path. */
const NO_SUCH_FILE = 2;

/**
 * `~/x` and `x` are both relative to the SFTP session's folder, which is the user's home; absolute paths stay as
 * they are.
 */
export function sftpPath(remotePath: string): string {
  if (remotePath === '~') return '.';
  if (remotePath.startsWith('~/')) return remotePath.slice(2) || '.';
  return remotePath;
}

function call<T = void>(fn: (cb: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

function isMissing(e: unknown): boolean {
  return (e as { code?: unknown }).code === NO_SUCH_FILE;
}

async function ensureDir(sftp: SFTPWrapper, dir: string, mode: number): Promise<void> {
  if (dir === '.' || dir === '/' || dir === '') return;
  try {
    const st = await call<Stats>((cb) => sftp.stat(dir, cb));
    if (!st.isDirectory()) throw new Error(`${dir} exists and is not a folder`);
    return;
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  await ensureDir(sftp, posix.dirname(dir), mode);
  try {
    await call((cb) => sftp.mkdir(dir, { mode }, cb));
  } catch (e) {
    // another writer may have made it meanwhile
    const st = await call<Stats>((cb) => sftp.stat(dir, cb)).catch(() => undefined);
    if (st?.isDirectory() !== true) throw e;
  }
}

/** Renames over an existing file: OpenSSH's posix-rename where offered, else SFTP's rename after removing the target. */
async function replace(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call((cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (e) {
    if (!/not support/i.test((e as Error).message)) throw e;
  }
  await call((cb) => sftp.unlink(to, cb)).catch((e: unknown) => {
    if (!isMissing(e)) throw e;
  });
  await call((cb) => sftp.rename(from, to, cb));
}

export async function writeFileSftp(sftp: SFTPWrapper, remotePath: string, content: string | Uint8Array, mode: number): Promise<void> {
  const path = sftpPath(remotePath);
  // a private file gets private parents; anything else the usual 0755
  const dirMode = (mode & 0o077) === 0 ? 0o700 : 0o755;
  await ensureDir(sftp, posix.dirname(path), dirMode);
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  try {
    await call((cb) => sftp.writeFile(tmp, data, { mode, flag: 'wx' }, cb));
    // the open's mode went through the server's umask; set it exactly before the file gets its real name
    await call((cb) => sftp.chmod(tmp, mode, cb));
    await replace(sftp, tmp, path);
  } catch (e) {
    await call((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
    throw e;
  }
}
