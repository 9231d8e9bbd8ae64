import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { Correlator } from '../../../src/client/correlator.js';

interface Replies extends Record<string, unknown> { 'query.reply': string; 'actor.found': number | null }

describe('Correlator: requests matched to replies by reqId', () => {
  it('settles each request with the reply that carries its id, in whatever order replies come', async () => {
    const c = new Correlator<Replies>();
    const ids: number[] = [];
    const a = c.request('query.reply', (id) => ids.push(id));
    const b = c.request('query.reply', (id) => ids.push(id));
    assert.notEqual(ids[0], ids[1]);
    c.settle('query.reply', ids[1]!, () => 'second');
    c.settle('query.reply', ids[0]!, () => 'first');
    assert.deepEqual(await Promise.all([a, b]), ['first', 'second']);
    assert.equal(c.size, 0);
  });

  const IGNORED: [string, (c: Correlator<Replies>, id: number) => void][] = [
    ['a reply of another type', (c, id) => c.settle('actor.found', id, () => { throw new Error('must not run'); })],
    ['a reply to an id nobody asked for', (c, id) => c.settle('query.reply', id + 1, () => { throw new Error('must not run'); })],
  ];
  for (const [what, stray] of IGNORED) {
    it(`drops ${what} without running its outcome; the request still waits`, async () => {
      const c = new Correlator<Replies>();
      let id = -1;
      const p = c.request('query.reply', (i) => { id = i; });
      stray(c, id);
      assert.equal(c.size, 1);
      c.settle('query.reply', id, () => 'mine');
      assert.equal(await p, 'mine');
    });
  }

  it('drops a second reply to a settled request', async () => {
    const c = new Correlator<Replies>();
    let id = -1;
    const p = c.request('actor.found', (i) => { id = i; });
    c.settle('actor.found', id, () => 1);
    let ran = false;
    c.settle('actor.found', id, () => { ran = true; return 2; });
    assert.equal(await p, 1);
    assert.equal(ran, false);
  });

  it('rejects the request when its outcome throws (a reply that says it failed)', async () => {
    const c = new Correlator<Replies>();
    let id = -1;
    const p = c.request('query.reply', (i) => { id = i; });
    c.settle('query.reply', id, () => { throw new RangeError('no such thing'); });
    await assert.rejects(p, RangeError);
  });

  it('rejects every pending request when the connection closes', async () => {
    const c = new Correlator<Replies>();
    const pending = [c.request('query.reply', () => undefined), c.request('actor.found', () => undefined)];
    const closed = new Error('lost the connection');
    c.rejectAll(closed);
    for (const p of pending) await assert.rejects(p, (e) => e === closed);
    assert.equal(c.size, 0);
  });

  it('leaves nothing pending when sending fails, and throws what send threw', () => {
    const c = new Correlator<Replies>();
    assert.throws(() => c.request('query.reply', () => { throw new Error('closed'); }), /closed/);
    assert.equal(c.size, 0);
  });
});
