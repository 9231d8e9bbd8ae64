import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { type GcsStore, MemoryStore } from '../../../src/head/gcs/store.js';

/** Every GCS store backend passes the same cases. */
const BACKENDS: [string, () => GcsStore][] = [['memory', () => new MemoryStore()]];

for (const [name, make] of BACKENDS) {
  describe(`GCS store conformance: ${name}`, () => {
    it('a record set can be read back, listed and deleted', () => {
      const t = make().table<{ n: number }>('t');
      t.set('a', { n: 1 });
      t.set('b', { n: 2 });
      assert.deepEqual(t.get('a'), { n: 1 });
      assert.deepEqual(t.values().map((v) => v.n).sort(), [1, 2]);
      assert.equal(t.size, 2);
      assert.equal(t.delete('a'), true);
      assert.equal(t.delete('a'), false);
      assert.equal(t.get('a'), undefined);
    });

    it('setting a key again replaces its record', () => {
      const t = make().table<string>('t');
      t.set('k', 'one');
      t.set('k', 'two');
      assert.deepEqual(t.values(), ['two']);
    });

    it('tables are separate, and the same name gives the same table', () => {
      const s = make();
      s.table<number>('x').set('k', 1);
      assert.equal(s.table<number>('y').get('k'), undefined);
      assert.equal(s.table<number>('x').get('k'), 1);
    });

    it('the KV store keeps bytes', () => {
      const s = make();
      s.kv.set('k', new Uint8Array([1, 2, 3]));
      assert.deepEqual([...(s.kv.get('k') ?? [])], [1, 2, 3]);
    });
  });
}
