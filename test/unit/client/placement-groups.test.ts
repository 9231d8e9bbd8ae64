import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { GetTimeoutError, RaylaunchRuntimeError } from '../../../src/client/errors.js';
import { PlacementGroupStates } from '../../../src/client/placement-groups.js';
import type { PlacementGroupView } from '../../../src/protocol/messages.js';

describe("PlacementGroupStates: a placement group's ready()", () => {
  it('resolves once the head reports the group created', async () => {
    const groups = new PlacementGroupStates(() => undefined);
    groups.created('pg1');
    const ready = groups.ready('pg1', undefined);
    groups.update('pg1', 'CREATED', undefined);
    await ready;
  });

  it('resolves at once for a group already created', async () => {
    const groups = new PlacementGroupStates(() => undefined);
    groups.update('pg1', 'CREATED', undefined);
    await groups.ready('pg1', 0);
  });

  const REFUSED: [PlacementGroupView['state'], string | undefined, RegExp][] = [
    ['INFEASIBLE', 'bundle 0 can never fit', /^bundle 0 can never fit$/],
    ['REMOVED', undefined, /^placement group pg1 is REMOVED$/],
  ];
  for (const [state, message, re] of REFUSED) {
    it(`rejects when the group is ${state}, with the head's reason when it gives one`, async () => {
      const groups = new PlacementGroupStates(() => undefined);
      groups.created('pg1');
      const ready = groups.ready('pg1', undefined);
      groups.update('pg1', state, message);
      await assert.rejects(ready, (e: Error) => e instanceof RaylaunchRuntimeError && e.name === 'RaylaunchRuntimeError' && re.test(e.message));
    });
  }

  it('rejects with GetTimeoutError naming the group when it is not ready in time', async () => {
    const groups = new PlacementGroupStates(() => undefined);
    groups.created('pg1');
    await assert.rejects(groups.ready('pg1', 1), (e: unknown) => e instanceof GetTimeoutError && e.placementGroupId === 'pg1' && e.timeoutMs === 1
      && /^placement group pg1 was not ready within 1 ms$/.test(e.message));
  });

  it('rejects waiting calls, and later ones at once, when the connection closes', async () => {
    const connection: { closed?: string } = {};
    const groups = new PlacementGroupStates(() => connection.closed);
    groups.created('pg1');
    const waiting = groups.ready('pg1', undefined);
    connection.closed = 'the head went away';
    groups.wakeAll();
    const lost = (e: Error) => e instanceof RaylaunchRuntimeError && e.message === 'lost the connection to the cluster: the head went away';
    await assert.rejects(waiting, lost);
    await assert.rejects(groups.ready('pg1', undefined), lost);
  });
});
