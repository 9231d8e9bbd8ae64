import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { PackageStore } from '../../../../src/head/http/jobs-packages.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const body = (b: Uint8Array) => Object.assign(Readable.from([b]), { headers: { 'content-length': String(b.length) } }) as unknown as IncomingMessage;

describe('the head\'s package store (a cache of uploads, bounded in bytes)', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rl-packages-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const [a, b, c] = ['a', 'b', 'c'].map((x) => Buffer.alloc(40, x)) as [Buffer, Buffer, Buffer];
  const CASES: { name: string; asked: Buffer | undefined; kept: Buffer[]; gone: Buffer[] }[] = [
    { name: 'past its cap the least recently uploaded package goes, never the one just uploaded', asked: undefined, kept: [b, c], gone: [a] },
    { name: 'a package asked for (a client about to skip its upload) is kept over one not asked for since', asked: a, kept: [a, c], gone: [b] },
  ];
  for (const t of CASES) {
    it(t.name, async () => {
      const store = new PackageStore(dir, 50, 100);
      await store.write(sha(a), body(a));
      await store.write(sha(b), body(b));
      const past = Date.now() / 1000;
      utimesSync(join(dir, sha(a)), past - 200, past - 200);
      utimesSync(join(dir, sha(b)), past - 100, past - 100);
      if (t.asked) assert.equal(store.size(sha(t.asked)), 40);
      await store.write(sha(c), body(c));
      assert.deepEqual([t.kept.map((p) => existsSync(join(dir, sha(p)))), t.gone.map((p) => existsSync(join(dir, sha(p))))], [t.kept.map(() => true), t.gone.map(() => false)]);
    });
  }
});
