import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { closest, editDistance } from '../../../src/common/suggest.js';

describe('did-you-mean suggestions', () => {
  const keys = ['max_workers', 'min_workers', 'head_node_type', 'idle_timeout_minutes', 'region'];
  const cases: [string, string | undefined][] = [
    ['max_worker', 'max_workers'], ['maxWorkers', 'max_workers'], ['MAX-WORKERS', 'max_workers'],
    ['haed_node_type', 'head_node_type'], ['regoin', 'region'], ['idle_timeout', 'idle_timeout_minutes'], ['max', undefined], ['zzz', undefined],
  ];
  for (const [typo, want] of cases) it(`suggests ${String(want)} for ${typo}`, () => assert.equal(closest(typo, keys), want));

  it('counts a transposition as one edit', () => {
    assert.equal(editDistance('haed', 'head'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});
