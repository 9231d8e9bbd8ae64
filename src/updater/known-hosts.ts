/**
 * The cluster's known_hosts file, in OpenSSH's own format so that the system `ssh` (and rsync through it) trusts
 * exactly the keys raylaunch pinned. Keys travel as SSH wire blobs; only fingerprints ever reach messages.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { KeyedSerial } from '../common/serial.js';

export interface KnownHost {
  /** The line's host names (`host`, or `[host]:port` off port 22); a line may list several. */
  hosts: string[];
  keyType: string;
  /** The key's SSH wire blob. */
  key: Buffer;
}

/** The name known_hosts and ssh-keygen use for a host: the bare host on port 22, `[host]:port` elsewhere. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const KEY_TYPE = /^[\x21-\x7e]{1,64}$/;

/** The key type a wire blob declares: its first length-prefixed string (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(blob: Uint8Array): string {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < 4) throw new Error('not an SSH public key (too short)');
  const len = buf.readUInt32BE(0);
  if (len === 0 || 4 + len > buf.length) throw new Error('not an SSH public key (bad type length)');
  const type = buf.subarray(4, 4 + len).toString('latin1');
  if (!KEY_TYPE.test(type)) throw new Error('not an SSH public key (bad type name)');
  return type;
}

/** OpenSSH's fingerprint form, as `ssh-keygen -lf` prints it: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The blob of a `type base64` pair, or undefined when the two disagree or the base64 is not a key. */
function blobOf(type: string, base64: string): Buffer | undefined {
  if (!BASE64.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  try {
    return keyTypeOf(blob) === type ? blob : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One known_hosts line, or undefined for what raylaunch does not pin by: blank lines, comments, hashed host names
 * (`|1|…`), markers (`@cert-authority`, `@revoked`) and malformed lines.
 */
export function parseKnownHostsLine(line: string): KnownHost | undefined {
  const fields = line.trim().split(/\s+/);
  const [hostField, keyType, base64] = fields;
  if (hostField === undefined || keyType === undefined || base64 === undefined) return undefined;
  if (hostField.startsWith('#') || hostField.startsWith('|') || hostField.startsWith('@')) return undefined;
  const key = blobOf(keyType, base64);
  if (key === undefined) return undefined;
  return { hosts: hostField.split(',').filter((h) => h !== ''), keyType, key };
}

export function parseKnownHosts(text: string): KnownHost[] {
  return text.split('\n').flatMap((line) => parseKnownHostsLine(line) ?? []);
}

export function formatKnownHostsLine(host: string, port: number, blob: Uint8Array): string {
  return `${hostToken(host, port)} ${keyTypeOf(blob)} ${Buffer.from(blob).toString('base64')}`;
}

/** The blob of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`), as providers report host keys. */
export function parsePublicKey(line: string): Buffer {
  const [type, base64] = line.trim().split(/\s+/);
  const blob = type === undefined || base64 === undefined ? undefined : blobOf(type, base64);
  if (blob === undefined) throw new Error('not an OpenSSH public key line ("TYPE BASE64 [COMMENT]")');
  return blob;
}

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/** The keys pinned for host:port (several when the host has keys of several types); [] when none or no file. */
export async function lookup(file: string, host: string, port: number): Promise<Buffer[]> {
  const token = hostToken(host, port);
  return parseKnownHosts(await readOrEmpty(file))
    .filter((e) => e.hosts.includes(token))
    .map((e) => e.key);
}

// Pins in one process are serialised per file, so two hosts pinned at once do not each rewrite the file without
// the other's line.
const fileLocks = new KeyedSerial();

const withFileLock = <T>(file: string, fn: () => Promise<T>): Promise<T> => fileLocks.run(resolve(file), fn);

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Adds host:port's key to the file (created 0600 in a 0700 folder); the file is replaced in one rename, so a reader
 * never sees half a line. Already pinned: nothing changes. `replace` first drops the host's other keys (a key the
 * provider vouches for supersedes what an earlier machine at that address had).
 */
export async function pin(
  file: string,
  host: string,
  port: number,
  blob: Uint8Array,
  o: { replace?: boolean } = {},
): Promise<void> {
  const token = hostToken(host, port);
  const line = formatKnownHostsLine(host, port, blob);
  await withFileLock(file, async () => {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const text = await readOrEmpty(file);
    let lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    const isHostLine = (l: string): KnownHost | undefined => {
      const e = parseKnownHostsLine(l);
      return e !== undefined && e.hosts.includes(token) ? e : undefined;
    };
    const pinned = lines.map(isHostLine).filter((e) => e !== undefined);
    const same = pinned.some((e) => e.key.equals(blob));
    if (same && (!o.replace || pinned.length === 1)) return;
    if (o.replace) lines = lines.filter((l) => isHostLine(l) === undefined);
    await writeAtomically(file, [...lines, line].join('\n') + '\n');
  });
}
