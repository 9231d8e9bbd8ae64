import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { pollUntil } from '../../../src/common/wait.js';

describe('pollUntil', () => {
  it('returns the first value the probe gives, calling it again after each miss', async () => {
    let calls = 0;
    assert.equal(await pollUntil(() => (++calls === 3 ? 'ready' : undefined), { timeoutMs: 60_000, every: 1 }), 'ready');
    assert.equal(calls, 3);
  });

  it('gives undefined once the time is up, having called the probe at least once', async () => {
    let calls = 0;
    assert.equal(await pollUntil(() => { calls++; return undefined; }, { timeoutMs: 0, every: 1 }), undefined);
    assert.ok(calls >= 1);
  });

  it('a growing delay is asked for each attempt, in order', async () => {
    const asked: number[] = [];
    let calls = 0;
    await pollUntil(() => (++calls === 4 ? true : undefined), { timeoutMs: 60_000, every: (attempt) => { asked.push(attempt); return 1; } });
    assert.deepEqual(asked, [0, 1, 2]);
  });

  it('a probe that throws ends the wait with its error', async () => {
    await assert.rejects(pollUntil(() => { throw new Error('the head exited'); }, { timeoutMs: 60_000, every: 1 }), /the head exited/);
  });
});
