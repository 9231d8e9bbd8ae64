import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { pack, PackError, packedPathProblem, readPack, unpack } from '../../../src/common/pack.js';

const file = (path: string, text = path) => ({ path, mode: 0o640, data: new TextEncoder().encode(text) });

/** Names a folder may hold: dots are part of a name unless a whole segment is `..`. */
const PATHS: [string, string | undefined][] = [
  ['..notes', undefined],
  ['sub/..notes', undefined],
  ['a..b', undefined],
  ['...', undefined],
  ['.hidden/..x', undefined],
  ['..', 'it climbs out of the folder (..)'],
  ['../escaped', 'it climbs out of the folder (..)'],
  ['sub/../../escaped', 'it climbs out of the folder (..)'],
  ['sub/..', 'it climbs out of the folder (..)'],
  ['/etc/passwd', 'it is absolute'],
  ['a\0b', 'it holds a NUL byte'],
  ['', 'it names the folder itself'],
  ['./.', 'it names the folder itself'],
];

describe('packed folders (src/common/pack.ts)', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rl-pack-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const [path, why] of PATHS) {
    it(`${JSON.stringify(path)} ${why ? `is refused: ${why}` : 'is a file inside the folder'}`, () => assert.equal(packedPathProblem(path), why));
  }

  it('unpacks files whose names start with two dots, with their modes', () => {
    const dest = join(dir, 'wd');
    assert.equal(unpack(pack([file('..notes'), file('sub/..x'), file('a..b')]), dest), 3);
    assert.equal(readFileSync(join(dest, '..notes'), 'utf8'), '..notes');
    assert.equal(readFileSync(join(dest, 'sub', '..x'), 'utf8'), 'sub/..x');
    assert.equal(statSync(join(dest, '..notes')).mode & 0o777, 0o640);
    assert.equal(readdirSync(dir).join(), 'wd', 'nothing beside the folder');
  });

  it('a pack with one path out of the folder is refused before anything is written', () => {
    const dest = join(dir, 'wd');
    assert.throws(() => unpack(pack([file('fine.txt'), file('../escaped')]), dest), (e: unknown) => e instanceof PackError && /refusing to unpack "\.\.\/escaped": it climbs out/.test(e.message));
    assert.equal(existsSync(dest), false, 'not even the good file');
    assert.equal(existsSync(join(dir, 'escaped')), false);
  });

  const NOT_PACKS: [string, Uint8Array, RegExp][] = [
    ['bytes that are no v8 value', new Uint8Array([0xff, 0x0f, 0x6f]), /is not a packed folder: /],
    ['a value that is no list of files', serialize({ path: 'x' }), /is not a packed folder \(a list of path, mode and data\)/],
    ['a file whose data is text', serialize([{ path: 'x', mode: 0o600, data: 'text' }]), /is not a packed folder/],
    ['a file and a folder of the same name', pack([file('a'), file('a/b')]), /refusing to unpack "a\/b": "a" is a file too/],
  ];
  for (const [title, packed, why] of NOT_PACKS) {
    it(`${title} is refused as a PackError`, () => assert.throws(() => readPack(packed), (e: unknown) => e instanceof PackError && why.test(e.message)));
  }
});
