import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { FailureLog } from '../../../src/head/failures.js';

describe('failure log (FailureLog)', () => {
  it('keeps when and the first line of each failure, the most recent ones only', () => {
    let now = 0;
    const log = new FailureLog({ now: () => now }, 2);
    for (const what of ['a', 'b', 'c']) {
      now += 1;
      log.record({ kind: 'task', what, message: `${what} failed\n    at stack`, nodeId: 'n' });
    }
    assert.deepEqual(log.list(), [
      { at: 2, kind: 'task', what: 'b', message: 'b failed', nodeId: 'n' },
      { at: 3, kind: 'task', what: 'c', message: 'c failed', nodeId: 'n' },
    ]);
    log.list().pop();
    assert.equal(log.list().length, 2, 'a copy');
  });
});
