import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { deserialize, serialize } from 'node:v8';

/** A folder as one value: relative paths, modes and contents. Small enough folders only (uploads are capped). */
export interface PackedFile { path: string; mode: number; data: Uint8Array }

export function pack(files: readonly PackedFile[]): Uint8Array {
  return serialize(files);
}

/** Writes a packed folder under `dest`; a path that would leave `dest` is refused. */
export function unpack(packed: Uint8Array, dest: string): number {
  const files = deserialize(packed) as PackedFile[];
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const rel = normalize(f.path);
    if (rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`${sep}..${sep}`)) throw new Error(`refusing to unpack ${f.path}: outside the folder`);
    const target = join(dest, rel);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
    chmodSync(target, f.mode & 0o777);
  }
  return files.length;
}
