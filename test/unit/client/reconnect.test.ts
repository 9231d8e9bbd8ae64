import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { OutageBufferFullError } from '../../../src/client/errors.js';
import { BACKOFF, backoffDelay, DEFAULT_RECONNECT_TIMEOUT_S, OutageBuffer, reconnectTimeoutS, resumePlan, type Unfinished } from '../../../src/client/reconnect.js';
import type { Message } from '../../../src/protocol/messages.js';

const put = (id: string): Message => ({ type: 'put', id, owner: 'd', jobId: 'j', value: { kind: 'inline', data: new Uint8Array() } });
const fetch = (id: string): Message => ({ type: 'fetch', client: 'd', ids: [id] });

describe('a driver\'s reconnect, the pure parts', () => {
  describe('backoffDelay: exponential, capped, with jitter', () => {
    const cases: [string, number, number, number][] = [
      ['the first wait is between half the base and the base', 0, 0, BACKOFF.baseMs / 2],
      ['…up to the base with the most jitter', 0, 0.999999, BACKOFF.baseMs],
      ['each attempt doubles the ceiling', 3, 0, (BACKOFF.baseMs * 8) / 2],
      ['the ceiling stops at the cap', 20, 0.999999, BACKOFF.maxMs],
      ['a huge attempt count stays at the cap', 10_000, 0, BACKOFF.maxMs / 2],
    ];
    for (const [title, attempt, random, expected] of cases) {
      it(title, () => assert.equal(backoffDelay(attempt, random), expected));
    }
    it('two drivers that lost the same head at once wait differently', () => {
      assert.notEqual(backoffDelay(2, 0.1), backoffDelay(2, 0.9));
    });
  });

  describe('reconnectTimeoutS: the welcome, else the environment, else 60', () => {
    const cases: [string, number | undefined, string | undefined, number][] = [
      ['the head\'s welcome wins', 30, '10', 30],
      ['the environment when the welcome says nothing', undefined, '10', 10],
      ['the default without either', undefined, undefined, DEFAULT_RECONNECT_TIMEOUT_S],
      ['an environment value that is no positive number is ignored', undefined, 'soon', DEFAULT_RECONNECT_TIMEOUT_S],
      ['…nor is zero', undefined, '0', DEFAULT_RECONNECT_TIMEOUT_S],
    ];
    for (const [title, welcome, env, expected] of cases) it(title, () => assert.equal(reconnectTimeoutS(welcome, env), expected));
  });

  describe('OutageBuffer: calls made without a head, bounded', () => {
    it('keeps calls in order up to its limit, then refuses the next with OutageBufferFullError', () => {
      const b = new OutageBuffer(2);
      b.push(put('a'));
      b.push(put('b'));
      assert.throws(() => b.push(put('c')), (e: unknown) => e instanceof OutageBufferFullError && e.limit === 2 && /2 calls/.test(e.message));
      assert.deepEqual(b.drain().map((m) => (m.type === 'put' ? m.id : '')), ['a', 'b']);
      assert.equal(b.size, 0);
    });

    it('keeps what the driver had accepted before it knew the connection was gone, whatever the limit', () => {
      const b = new OutageBuffer(1);
      b.keep([put('a'), put('b'), fetch('x')]);
      assert.equal(b.size, 3);
      assert.deepEqual([...b.made()], ['a', 'b'], 'the objects its messages make');
    });
  });

  describe('resumePlan: what goes out again after a reconnect', () => {
    const task = (returnId: string, maxRetries: number): Unfinished => ({
      again: maxRetries > 0,
      message: { type: 'submit', task: { taskId: `${returnId}.t`, jobId: 'j', owner: 'd', fn: 'f', name: 'f', args: [], deps: [], returnId, resources: {}, maxRetries, retryExceptions: false } },
    });
    const unfinished = new Map<string, Unfinished>([
      ['r1', task('r1', 3)], ['p1', { again: true, message: put('p1') }], ['r2', task('r2', 0)], ['r3', task('r3', 3)], ['r4', task('r4', 3)],
    ]);

    it('what the head has stays, what it lost goes again in the order first made, what may not run twice is lost, what never left waits in the buffer', () => {
      const plan = resumePlan(unfinished, new Set(['r3']), new Set(['r4']));
      assert.deepEqual(plan.again.map((m) => (m.type === 'submit' ? m.task.returnId : m.type === 'put' ? m.id : '')), ['r1', 'p1']);
      assert.deepEqual(plan.lost, ['r2']);
    });

    it('nothing goes again when the head has everything', () => {
      assert.deepEqual(resumePlan(unfinished, new Set(unfinished.keys()), new Set()), { again: [], lost: [] });
    });
  });
});
