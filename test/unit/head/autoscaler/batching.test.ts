import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { batchDemands, nextBatchDue, NO_BATCH } from '../../../../src/head/autoscaler/batching.js';

const cpu = (count: number) => ({ resources: { CPU: 1 }, count });
const gpu = (count: number) => ({ resources: { GPU: 1 }, count });

describe('demand batching', () => {
  it('a demand counts once it has been pending demand_batch_ms, from when it was first seen', () => {
    const a = batchDemands(NO_BATCH, [cpu(2)], 1000, 300, false);
    assert.deepEqual(a.due, []);
    const b = batchDemands(a.state, [cpu(5)], 1299, 300, false);
    assert.deepEqual(b.due, []);
    assert.deepEqual(batchDemands(b.state, [cpu(5)], 1300, 300, false).due, [cpu(5)]);
  });

  it('a shape that stopped being pending starts over when it comes back', () => {
    const a = batchDemands(NO_BATCH, [cpu(1)], 1000, 300, false);
    const b = batchDemands(a.state, [gpu(1)], 1100, 300, false);
    assert.deepEqual(batchDemands(b.state, [cpu(1), gpu(1)], 1400, 300, false).due, [gpu(1)]);
  });

  it('with a 0 ms window every demand is due at once', () => {
    assert.deepEqual(batchDemands(NO_BATCH, [cpu(1), gpu(2)], 5, 0, false).due, [cpu(1), gpu(2)]);
  });

  const DUE: { name: string; byNudge: boolean; batchMs: number; at: number; want: number | undefined }[] = [
    { name: 'a shape inside its window is due when the window ends', byNudge: false, batchMs: 300, at: 1100, want: 200 },
    { name: 'a shape a tick has acted on is not due again', byNudge: false, batchMs: 300, at: 1400, want: undefined },
    { name: 'a shape only a nudge has seen is due at once once its window is over', byNudge: true, batchMs: 0, at: 1000, want: 0 },
    { name: 'a shape a tick has seen, with a 0 ms window, is not due again', byNudge: false, batchMs: 0, at: 1000, want: undefined },
  ];
  for (const c of DUE) {
    it(`next due: ${c.name}`, () => {
      const { state } = batchDemands(NO_BATCH, [cpu(1)], 1000, c.batchMs, c.byNudge);
      assert.equal(nextBatchDue(state, c.at, c.batchMs), c.want);
    });
  }

  it('a tick forgets what only nudges had seen; a nudge keeps it', () => {
    const seen = batchDemands(NO_BATCH, [cpu(1)], 1000, 0, true).state;
    assert.equal(seen.unseen.size, 1);
    assert.equal(batchDemands(seen, [cpu(1)], 1000, 0, true).state.unseen.size, 1);
    assert.equal(batchDemands(seen, [cpu(1)], 1000, 0, false).state.unseen.size, 0);
  });
});
