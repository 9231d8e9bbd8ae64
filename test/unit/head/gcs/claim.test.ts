// A store holds one cluster's records: a new cluster of the same name (down, then up) starts from an empty one,
// a restarted head of the same cluster from what it had.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { claimStore } from '../../../../src/head/gcs/claim.js';
import { MemoryDatabase } from '../../../../src/head/gcs/memory.js';
import { openStore } from '../../../../src/head/gcs/open.js';

const open = (memory: MemoryDatabase) => openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });

/** A store of cluster `first`'s head h1 with a node and a job in it, closed (as a head leaves it), then reopened. */
async function leftBy(first: string | undefined) {
  const memory = new MemoryDatabase();
  const store = await open(memory);
  await claimStore(store, { operator: first, head: 'h1' });
  await store.table('nodes').update('n1', () => ({ state: 'ALIVE' }));
  await store.table('jobs').update('j1', () => ({ state: 'RUNNING' }));
  await store.close();
  return open(memory);
}

describe('claiming the GCS store for a cluster', () => {
  const CASES: { name: string; first: string | undefined; next: string | undefined; head: string; claim: string; nodes: number; jobs: number }[] = [
    { name: 'the same head of the same cluster (a restart) keeps every record', first: 'op-a', next: 'op-a', head: 'h1', claim: 'kept', nodes: 1, jobs: 1 },
    { name: 'a new head of the same cluster (up restarting it for a changed config) keeps the jobs only', first: 'op-a', next: 'op-a', head: 'h2', claim: 'rehead', nodes: 0, jobs: 1 },
    { name: 'a head of a new cluster of that name empties the store', first: 'op-a', next: 'op-b', head: 'h1', claim: 'emptied', nodes: 0, jobs: 0 },
    { name: 'records of no known cluster are emptied too', first: undefined, next: 'op-b', head: 'h1', claim: 'emptied', nodes: 0, jobs: 0 },
    { name: 'a head without an operator digest leaves the store alone', first: 'op-a', next: undefined, head: 'h2', claim: 'kept', nodes: 1, jobs: 1 },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const store = await leftBy(c.first);
      assert.equal(await claimStore(store, { operator: c.next, head: c.head }), c.claim);
      assert.deepEqual([store.table('nodes').size, store.table('jobs').size], [c.nodes, c.jobs]);
      await store.close();
    });
  }

  it('a store with nothing in it is new', async () => {
    const store = await open(new MemoryDatabase());
    assert.equal(await claimStore(store, { operator: 'op-a', head: 'h1' }), 'new');
    assert.equal(await claimStore(store, { operator: 'op-a', head: 'h1' }), 'kept');
    await store.close();
  });

  it('the emptying is durable: the next head of the new cluster loads nothing of the old one', async () => {
    const memory = new MemoryDatabase();
    const store = await open(memory);
    await claimStore(store, { operator: 'op-a', head: 'h1' });
    await store.table('nodes').update('n1', () => ({ state: 'ALIVE' }));
    await store.close();
    const second = await open(memory);
    await claimStore(second, { operator: 'op-b', head: 'h2' });
    await second.close();
    const third = await open(memory);
    assert.deepEqual([third.table('nodes').size, await claimStore(third, { operator: 'op-b', head: 'h2' })], [0, 'kept']);
    await third.close();
  });
});
