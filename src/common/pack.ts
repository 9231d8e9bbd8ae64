import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { type Static, type TArray, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

const PackedFileShape = Type.Object({
  /** Relative, '/'-separated (as working-dir.ts packs it). */
  path: Type.String(),
  mode: Type.Integer({ minimum: 0 }),
  data: Type.Uint8Array(),
});

/** A folder as one value: relative paths, modes and contents. Small enough folders only (uploads are capped). */
export type PackedFile = Static<typeof PackedFileShape>;

let packCheck: TypeCheck<TArray<typeof PackedFileShape>> | undefined;
const isPack = (v: unknown): v is PackedFile[] => (packCheck ??= TypeCompiler.Compile(Type.Array(PackedFileShape))).Check(v);

/** A packed folder that cannot be unpacked as it is (a path outside the folder, not a pack at all). */
export class PackError extends Error {
  override readonly name = 'PackError';
}

export function pack(files: readonly PackedFile[]): Uint8Array {
  return serialize(files);
}

/**
 * Why `path` cannot name a file inside the folder, or undefined when it can. `..notes` or `a/..b` are names like
 * any other; only a whole `..` segment climbs out.
 */
export function packedPathProblem(path: string): string | undefined {
  if (path.includes('\0')) return 'it holds a NUL byte';
  if (path.startsWith('/')) return 'it is absolute';
  const segments = path.split('/');
  if (segments.includes('..')) return 'it climbs out of the folder (..)';
  if (segments.every((s) => s === '' || s === '.')) return 'it names the folder itself';
  return undefined;
}

/**
 * How many files a packed folder says it holds, read from the head of its list (v8's array tag and length)
 * without deserializing anything: a pack of millions of tiny entries is refused before they become objects.
 * Undefined when the bytes do not start as a list.
 */
export function packedFileCount(packed: Uint8Array): number | undefined {
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 35 && at < packed.byteLength; shift += 7) {
      const byte = packed[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  if (packed[at++] !== 0xff || varint() === undefined) return undefined;
  while (packed[at] === 0x00) at++; // padding
  const tag = packed[at++];
  // 'A': a dense array, 'a': a sparse one; either way its length follows.
  return tag === 0x41 || tag === 0x61 ? varint() : undefined;
}

/** The files of a packed folder, each checked to stay inside it; throws PackError naming the first that does not. */
export function readPack(packed: Uint8Array): PackedFile[] {
  let files: unknown;
  try {
    files = deserialize(packed);
  } catch (e) {
    throw new PackError(`the working directory is not a packed folder: ${(e as Error).message}`);
  }
  if (!isPack(files)) throw new PackError('the working directory is not a packed folder (a list of path, mode and data)');
  const paths = new Set(files.map((f) => f.path));
  for (const f of files) {
    const why = packedPathProblem(f.path);
    if (why !== undefined) throw new PackError(`refusing to unpack ${JSON.stringify(f.path)}: ${why}`);
    // A file and a folder of one name cannot both be written.
    for (let at = f.path.indexOf('/'); at > 0; at = f.path.indexOf('/', at + 1)) {
      if (paths.has(f.path.slice(0, at))) throw new PackError(`refusing to unpack ${JSON.stringify(f.path)}: ${JSON.stringify(f.path.slice(0, at))} is a file too`);
    }
  }
  return files;
}

/** Writes a packed folder under `dest`; a pack with any path that would leave `dest` is refused before anything is written. */
export function unpack(packed: Uint8Array, dest: string): number {
  return writeFiles(readPack(packed), dest);
}

/** Writes files read with readPack (their paths checked) under `dest`. */
export function writeFiles(files: readonly PackedFile[], dest: string): number {
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const target = join(dest, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
    chmodSync(target, f.mode & 0o777);
  }
  return files.length;
}
