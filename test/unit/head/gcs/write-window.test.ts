// A table with a write window: its updates of many turns go to the backend in one batch (inline objects, one per
// task result, which cost a commit each when written per turn).
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { MemoryDatabase } from '../../../../src/head/gcs/memory.js';
import { openStore } from '../../../../src/head/gcs/open.js';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));
/** Longer than any test waits: the window never ends by itself unless a test waits for it. */
const LONG = 3_600_000;

async function open() {
  const memory = new MemoryDatabase();
  const store = await openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
  const stored = () => [...memory.rows.values()].map((r) => `${r.table}/${r.key}`).sort();
  return { store, memory, stored };
}

describe('a GCS table with a write window', () => {
  it('holds the updates of many turns and writes them in one commit when flushed', async () => {
    const { store, stored } = await open();
    const t = store.table<number>('objects', { writeWithinMs: LONG });
    for (let i = 0; i < 5; i++) {
      void t.update(`o${i}`, () => i);
      await nextTurn();
      await nextTurn();
    }
    assert.equal(store.commits, 0, 'nothing written within the window');
    assert.equal(t.get('o3'), 3, 'reads see the updates at once');
    await store.flush();
    assert.equal(store.commits, 1);
    assert.deepEqual(stored(), ['objects/o0', 'objects/o1', 'objects/o2', 'objects/o3', 'objects/o4']);
    await store.close();
  });

  it('sends what it holds with the next batch of any other table', async () => {
    const { store, stored } = await open();
    const held = store.table<number>('objects', { writeWithinMs: LONG }).update('o1', () => 1);
    await nextTurn();
    await store.table<string>('nodes').update('n1', () => 'alive');
    await held;
    assert.equal(store.commits, 1, 'one batch with both');
    assert.deepEqual(stored(), ['nodes/n1', 'objects/o1']);
    await store.close();
  });

  it('writes what it holds once its window ends, without a flush', async () => {
    const { store, stored } = await open();
    const t = store.table<number>('objects', { writeWithinMs: 20 });
    const first = t.update('o1', () => 1);
    await nextTurn();
    const second = t.update('o2', () => 2);
    await Promise.all([first, second]);
    assert.equal(store.commits, 1);
    assert.deepEqual(stored(), ['objects/o1', 'objects/o2']);
    await store.close();
  });

  it('never writes a record made and deleted within the window', async () => {
    const { store, stored } = await open();
    const t = store.table<number>('objects', { writeWithinMs: LONG });
    void t.update('o1', () => 1);
    await nextTurn();
    void t.update('o1', () => undefined);
    await store.flush();
    assert.equal(store.commits, 0);
    assert.deepEqual(stored(), []);
    await store.close();
  });

  it('says a record is written only once its batch has left, not while the window holds it', async () => {
    const { store } = await open();
    const t = store.table<number>('queued', { writeWithinMs: LONG });
    void t.update('q1', () => 1);
    await nextTurn();
    assert.equal(t.written('q1'), false);
    await store.flush();
    assert.equal(t.written('q1'), true);
    await t.update('q1', () => undefined, { now: true });
    assert.equal(t.written('q1'), false);
    await store.close();
  });

  it('writes a delete made with now in the batch of its turn, without waiting for the window', async () => {
    const { store, stored } = await open();
    const t = store.table<number>('queued', { writeWithinMs: LONG });
    void t.update('q1', () => 1);
    void t.update('q2', () => 2);
    await store.flush();
    void t.update('q3', () => 3); // held: the window is not over
    await t.update('q1', () => undefined, { now: true });
    assert.equal(store.commits, 2);
    assert.deepEqual(stored(), ['queued/q2', 'queued/q3'], 'q1 deleted; what the window held went with it, as with any batch');
    await store.close();
  });

  it('is written by close, and a reopened store has it', async () => {
    const { store, memory } = await open();
    void store.table<number>('objects', { writeWithinMs: LONG }).update('o1', () => 7);
    await store.close();
    const again = await openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
    assert.equal(again.table<number>('objects').get('o1'), 7);
    await again.close();
  });

  it('keeps its window after a restart that loaded rows of the table before the head named its options', async () => {
    const { store, memory } = await open();
    void store.table<number>('objects', { writeWithinMs: LONG }).update('o0', () => 0);
    await store.close();
    const again = await openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
    void again.table<number>('objects', { writeWithinMs: LONG }).update('o1', () => 1);
    await nextTurn();
    await nextTurn();
    assert.equal(again.commits, 0, 'the reloaded table holds its updates as before the restart');
    await again.close();
  });
});
