import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ObjectCache } from '../../../src/client/object-cache.js';
import type { ObjectValue } from '../../../src/protocol/messages.js';

const inline = (n: number): ObjectValue => ({ kind: 'inline', data: new Uint8Array([n]) });

describe('ObjectCache: what this process knows of objects', () => {
  it('keeps a value once set, and wakes whoever waits for it, once', () => {
    const cache = new ObjectCache();
    const woken: string[] = [];
    cache.onKnown('o1', () => woken.push('a'));
    cache.onKnown('o1', () => woken.push('b'));
    assert.equal(cache.isReady('o1'), false);
    cache.set('o1', inline(1));
    assert.deepEqual(cache.get('o1'), inline(1));
    assert.equal(cache.isReady('o1'), true);
    assert.deepEqual(woken, ['a', 'b']);
    cache.set('o1', inline(2));
    assert.deepEqual(woken, ['a', 'b'], 'waiters run once');
  });

  it('a wait that is stopped is not woken', () => {
    const cache = new ObjectCache();
    const woken: string[] = [];
    const stop = cache.onKnown('o1', () => woken.push('stopped'));
    cache.onKnown('o1', () => woken.push('kept'));
    stop();
    cache.set('o1', inline(1));
    assert.deepEqual(woken, ['kept']);
  });

  const FETCHES: [string, (c: ObjectCache) => void, boolean[]][] = [
    ['an unknown object is fetched once', () => undefined, [true, false]],
    ['a known object is not fetched', (c) => c.set('o1', inline(1)), [false, false]],
    ["a result this process expects is pushed, not fetched", (c) => c.expect('o1', 'f'), [false, false]],
  ];
  for (const [name, before, claims] of FETCHES) {
    it(name, () => {
      const cache = new ObjectCache();
      before(cache);
      assert.deepEqual([cache.claimFetch('o1'), cache.claimFetch('o1')], claims);
    });
  }

  it('names the call that makes an expected result, and nothing for others', () => {
    const cache = new ObjectCache();
    cache.expect('c1.r', 'Counter.incr');
    assert.equal(cache.maker('c1.r'), 'Counter.incr');
    assert.equal(cache.maker('elsewhere'), undefined);
  });

  it('wakeAll wakes every waiter though no value came (the connection closed)', () => {
    const cache = new ObjectCache();
    const woken: string[] = [];
    cache.onKnown('o1', () => woken.push('o1'));
    cache.onKnown('o2', () => woken.push('o2'));
    cache.wakeAll();
    assert.deepEqual(woken.sort(), ['o1', 'o2']);
    assert.equal(cache.isReady('o1'), false);
  });
});
