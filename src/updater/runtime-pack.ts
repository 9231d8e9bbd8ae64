/**
 * The runtime as it goes to a node: one gzipped tar of the files that node's role runs, with a manifest of its
 * own. Packed in this process (no local tar), once per folder and role: a head setting up ten workers compresses
 * once and sends the same bytes to each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { RUNTIME_FILES } from '../runtime/entries.js';
import type { RuntimeManifest } from '../runtime/layout.js';

const gzipAsync = promisify(gzip);
const BLOCK = 512;

/** What an upload sends: the folder it is read from and the files (manifest.json aside) one role needs. */
export interface RuntimeUpload {
  dir: string;
  version: string;
  hash: string;
  /** The files to send; every file of the folder when absent (its own manifest.json included). */
  files?: readonly string[];
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar header for a regular file: the one format every tar reads. Names are flat and short in a runtime. */
export function tarHeader(name: string, size: number, mtimeS: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`runtime file name too long for a tar header: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(mtimeS, 12), 136);
  h.write('        ', 148); // the checksum counts its own field as spaces
  h.write('0', 156);
  h.write('ustar\0' + '00', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** An uncompressed tar of the given name → content pairs. */
export function tarOf(entries: Iterable<[string, Uint8Array]>, mtimeS = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of entries) {
    parts.push(tarHeader(name, content.byteLength, mtimeS), Buffer.from(content));
    const pad = (BLOCK - (content.byteLength % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** The entries of an upload: its files, and a manifest naming exactly them when they are a subset. */
function entriesOf(u: RuntimeUpload): [string, Uint8Array][] {
  if (u.files === undefined) return readdirSync(u.dir).sort().map((f) => [f, readFileSync(join(u.dir, f))]);
  const manifest: RuntimeManifest = { version: u.version, hash: u.hash, files: [...u.files].sort() };
  return [
    ...manifest.files.map((f): [string, Uint8Array] => [f, readFileSync(join(u.dir, f))]),
    [RUNTIME_FILES.manifest, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)],
  ];
}

const packs = new Map<string, Promise<Buffer>>();

/** The gzipped tar of an upload, made once per folder and hash in this process (a failed one is tried again). */
export function packRuntime(u: RuntimeUpload): Promise<Buffer> {
  const key = `${u.dir}\0${u.version}-${u.hash}\0${u.files === undefined ? 'all' : 'some'}`;
  let p = packs.get(key);
  if (p === undefined) {
    p = Promise.resolve().then(() => gzipAsync(tarOf(entriesOf(u))));
    p.catch(() => packs.delete(key));
    packs.set(key, p);
  }
  return p;
}
