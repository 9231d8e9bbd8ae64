import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { backoffDelay, nextReconnect, RECONNECT } from '../../../src/worker/reconnect.js';

describe('an agent reconnecting to its head', () => {
  const DELAYS: [string, number, number, number][] = [
    ['the first wait is at most firstMs and at least half of it', 0, 0, RECONNECT.firstMs / 2],
    ['the first wait with the most jitter is firstMs', 0, 0.999999, RECONNECT.firstMs * 0.9999995],
    ['waits double per failed try (up to maxMs)', 2, 0, (RECONNECT.firstMs * 4) / 2],
    ['waits stop growing at maxMs', 30, 0, RECONNECT.maxMs / 2],
    ['jitter above 1 is taken as 1', 30, 5, RECONNECT.maxMs],
  ];
  for (const [name, attempt, random, want] of DELAYS) it(name, () => assert.ok(Math.abs(backoffDelay(attempt, random) - want) < 1e-6, `${backoffDelay(attempt, random)} ≠ ${want}`));

  it('tries again at least every 500 ms however long its head has been gone, so it is back within 0.5 s of its head', () => {
    for (const attempt of [0, 3, 5, 10, 100]) assert.ok(backoffDelay(attempt, 1) <= 500, `attempt ${attempt} waits ${backoffDelay(attempt, 1)} ms`);
  });

  it('two agents with different jitter wait different times', () => {
    assert.notEqual(backoffDelay(2, 0.1), backoffDelay(2, 0.9));
  });

  const STEPS: [string, Parameters<typeof nextReconnect>[0], ReturnType<typeof nextReconnect>][] = [
    ['well within the timeout it waits its backoff', { attempt: 0, since: 0, now: 10, deadlineMs: 60_000, random: 0 }, { waitMs: 50 }],
    ['near the timeout it waits only what is left', { attempt: 10, since: 0, now: 59_900, deadlineMs: 60_000, random: 0.5 }, { waitMs: 100 }],
    ['at the timeout it gives up', { attempt: 10, since: 0, now: 60_000, deadlineMs: 60_000, random: 0.5 }, { giveUp: true }],
    ['past the timeout it gives up', { attempt: 1, since: 1000, now: 90_000, deadlineMs: 60_000, random: 0 }, { giveUp: true }],
  ];
  for (const [name, input, want] of STEPS) it(name, () => assert.deepEqual(nextReconnect(input), want));
});
