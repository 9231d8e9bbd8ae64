import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, type Backoff, backedOff, backOff, launchedOk } from '../../../../src/head/autoscaler/backoff.js';

describe('capacity backoff', () => {
  const CASES: { name: string; failures: number; reason: 'capacity' | 'quota'; wantMs: number }[] = [
    { name: 'the first capacity failure waits the base time', failures: 0, reason: 'capacity', wantMs: BACKOFF_BASE_MS },
    { name: 'each failure in a row doubles it', failures: 2, reason: 'capacity', wantMs: 4 * BACKOFF_BASE_MS },
    { name: 'a quota waits four times as long', failures: 0, reason: 'quota', wantMs: 4 * BACKOFF_BASE_MS },
    { name: 'never more than the maximum', failures: 20, reason: 'capacity', wantMs: BACKOFF_MAX_MS },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      const before: Backoff = c.failures > 0 ? { t: { until: 0, failures: c.failures } } : {};
      const { backoff, waitMs } = backOff(before, 't', c.reason, 100);
      assert.equal(waitMs, c.wantMs);
      assert.deepEqual(backoff.t, { until: 100 + c.wantMs, failures: c.failures + 1 });
    });
  }

  it('a launch that went through forgets the type\'s failures, and only its', () => {
    assert.deepEqual(launchedOk({ a: { until: 5, failures: 1 }, b: { until: 5, failures: 2 } }, 'a'), { b: { until: 5, failures: 2 } });
  });

  it('lists the types still backed off', () => {
    assert.deepEqual(backedOff({ a: { until: 10, failures: 1 }, b: { until: 5, failures: 1 } }, 5), ['a']);
  });
});
