import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { MemoryDatabase } from '../../../../src/head/gcs/memory.js';
import { openStore } from '../../../../src/head/gcs/open.js';
import { type GcsStore, StoreClosedError, StoreConflictError } from '../../../../src/head/gcs/store.js';
import { type RedisServer, startRedis } from '../../../helpers/redis-server.js';

/**
 * Every GCS store backend passes the same cases. A "place" is one store's durable home (a memory database, a
 * sqlite file, a cluster's keys in one redis): opening it twice is a restart, or two heads on one store.
 */
interface Backend {
  name: string;
  setUp?(): Promise<void>;
  tearDown?(): Promise<void>;
  place(): (failed?: (e: Error) => void) => Promise<GcsStore>;
}

let n = 0;
const dirs: string[] = [];
let redis: RedisServer | undefined;

const BACKENDS: Backend[] = [
  {
    name: 'memory',
    place: () => {
      const memory = new MemoryDatabase();
      return (failed) => openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory, ...(failed ? { failed } : {}) });
    },
  },
  {
    name: 'sqlite',
    place: () => {
      const stateDir = mkdtempSync(join(tmpdir(), 'raylaunch-gcs-'));
      dirs.push(stateDir);
      return (failed) => openStore('sqlite', { clusterName: 'c', stateDir, ...(failed ? { failed } : {}) });
    },
    tearDown: () => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      return Promise.resolve();
    },
  },
  {
    name: 'redis',
    setUp: async () => {
      redis = await startRedis();
    },
    place: () => {
      const clusterName = `conformance-${++n}`;
      return (failed) => openStore(redis?.url() ?? '', { clusterName, stateDir: '/nonexistent', ...(failed ? { failed } : {}) });
    },
    tearDown: async () => {
      await redis?.stop();
    },
  },
];

interface Rec {
  n: number;
  tags: string[];
}

for (const b of BACKENDS) {
  describe(`GCS store conformance: ${b.name}`, function () {
    this.timeout(20_000);
    const open: GcsStore[] = [];
    /** Opens a place; every store opened is closed after the suite. */
    const opener = (place: ReturnType<Backend['place']>) => async (failed?: (e: Error) => void) => {
      const s = await place(failed);
      open.push(s);
      return s;
    };
    before(async () => b.setUp?.());
    after(async () => {
      for (const s of open) await s.close().catch(() => undefined);
      await b.tearDown?.();
    });

    it('an update is read back in the same turn, listed, counted and deleted', async () => {
      const t = (await opener(b.place())()).table<Rec>('t');
      const done = t.update('a', () => ({ n: 1, tags: [] }));
      void t.update('b', () => ({ n: 2, tags: ['x'] }));
      assert.deepEqual(t.get('a'), { n: 1, tags: [] });
      assert.deepEqual(t.values().map((v) => v.n).sort(), [1, 2]);
      assert.deepEqual(t.keys().sort(), ['a', 'b']);
      assert.equal(t.size, 2);
      await done;
      await t.update('a', () => undefined);
      assert.equal(t.get('a'), undefined);
      assert.equal(t.size, 1);
    });

    it('update hands fn the current record and counts versions from 1', async () => {
      const t = (await opener(b.place())()).table<Rec>('t');
      assert.equal(t.version('k'), undefined);
      await t.update('k', (prev) => ({ n: (prev?.n ?? 0) + 1, tags: [] }));
      assert.equal(t.version('k'), 1);
      await t.update('k', (prev) => ({ n: (prev?.n ?? 0) + 1, tags: [] }));
      assert.deepEqual(t.get('k'), { n: 2, tags: [] });
      assert.equal(t.version('k'), 2);
    });

    it('an update that returns the record it was given changes and writes nothing', async () => {
      const s = await opener(b.place())();
      const t = s.table<Rec>('t');
      await t.update('k', () => ({ n: 1, tags: [] }));
      const commits = s.commits;
      await t.update('k', (prev) => prev);
      await t.update('gone', (prev) => prev);
      assert.equal(t.version('k'), 1);
      assert.equal(t.get('gone'), undefined);
      assert.equal(s.commits, commits);
    });

    it('tables are separate, and the same name gives the same table', async () => {
      const s = await opener(b.place())();
      await s.table<number>('x').update('k', () => 1);
      assert.equal(s.table<number>('y').get('k'), undefined);
      assert.equal(s.table<number>('x').get('k'), 1);
      assert.equal(s.table('x'), s.table('x'));
    });

    it('a record changed in place, without update, throws', async () => {
      const t = (await opener(b.place())()).table<Rec>('t');
      const given: Rec = { n: 1, tags: ['a'] };
      await t.update('k', () => given);
      const r = t.get('k');
      assert.ok(r);
      assert.throws(() => {
        r.n = 2;
      }, TypeError);
      assert.throws(() => r.tags.push('b'), TypeError);
      assert.throws(() => {
        given.n = 3; // what was handed to update is the record now: it is frozen too
      }, TypeError);
      assert.deepEqual(t.get('k'), { n: 1, tags: ['a'] });
    });

    it('a reopened store (a restarted head) finds every record and version as they were, deletes included', async () => {
      const place = b.place();
      const s = await opener(place)();
      const t = s.table<Rec>('nodes');
      await t.update('a', () => ({ n: 1, tags: ['x'] }));
      await t.update('a', (prev) => ({ n: (prev?.n ?? 0) + 1, tags: ['x', 'y'] }));
      await t.update('b', () => ({ n: 5, tags: [] }));
      await t.update('c', () => ({ n: 6, tags: [] }));
      await t.update('c', () => undefined);
      void s.table<string>('jobs').update('j', () => 'running'); // not awaited: close writes what is pending
      await s.close();

      const again = await opener(place)();
      const t2 = again.table<Rec>('nodes');
      assert.deepEqual(t2.get('a'), { n: 2, tags: ['x', 'y'] });
      assert.equal(t2.version('a'), 2);
      assert.deepEqual(t2.get('b'), { n: 5, tags: [] });
      assert.equal(t2.get('c'), undefined);
      assert.equal(t2.size, 2);
      assert.equal(again.table<string>('jobs').get('j'), 'running');
      assert.throws(() => {
        (t2.get('a') as Rec).n = 9;
      }, TypeError);
      // ...and goes on from there.
      await t2.update('a', (prev) => ({ n: (prev?.n ?? 0) + 1, tags: [] }));
      assert.equal(t2.version('a'), 3);
    });

    it('a second head writing a record the first wrote since is refused with StoreConflictError, and stops writing', async () => {
      const place = b.place();
      const first = await opener(place)();
      await first.table<Rec>('t').update('k', () => ({ n: 1, tags: [] }));
      const failures: Error[] = [];
      const second = await opener(place)((e) => failures.push(e));
      await first.table<Rec>('t').update('k', () => ({ n: 2, tags: [] }));

      await assert.rejects(second.table<Rec>('t').update('k', () => ({ n: 3, tags: [] })), StoreConflictError);
      assert.equal(failures.length, 1);
      assert.match(failures[0]?.message ?? '', /another head is writing this store/);
      await assert.rejects(second.table<Rec>('t').update('other', () => ({ n: 1, tags: [] })), StoreClosedError);
      // The first head's record stands.
      const check = await opener(place)();
      assert.deepEqual(check.table<Rec>('t').get('k'), { n: 2, tags: [] });
      assert.equal(check.table<Rec>('t').get('other'), undefined);
    });

    it('two heads creating the same record: the second is refused', async () => {
      const place = b.place();
      const first = await opener(place)();
      const second = await opener(place)();
      await first.table<Rec>('t').update('new', () => ({ n: 1, tags: [] }));
      await assert.rejects(second.table<Rec>('t').update('new', () => ({ n: 2, tags: [] })), StoreConflictError);
    });

    it('every update of one turn goes to the backend as one commit, the last value of each key only', async () => {
      const place = b.place();
      const s = await opener(place)();
      const before = s.commits;
      const t = s.table<Rec>('t');
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        writes.push(t.update(`k${i % 10}`, (prev) => ({ n: (prev?.n ?? 0) + 1, tags: [] })));
        await Promise.resolve(); // still the same turn: promise callbacks run before the turn ends
      }
      writes.push(s.table<number>('other').update('x', () => 1));
      await Promise.all(writes);
      assert.equal(s.commits, before + 1);
      assert.equal(t.version('k0'), 5);
      await t.update('k0', () => ({ n: 0, tags: [] }));
      assert.equal(s.commits, before + 2);
      await s.close();
      const again = await opener(place)();
      assert.deepEqual(again.table<Rec>('t').get('k1'), { n: 5, tags: [] });
      assert.equal(again.table<Rec>('t').version('k1'), 5);
      assert.deepEqual(again.table<Rec>('t').get('k0'), { n: 0, tags: [] });
    });

    it('a closed store refuses writes', async () => {
      const s = await opener(b.place())();
      await s.close();
      await assert.rejects(s.table<number>('t').update('k', () => 1), StoreClosedError);
    });
  });
}
