// What a restarted head does with the work it finds (resume-plan.ts): run it, take it as running, or know nothing
// of it; when work leaving the store's queue waits for its delete; and when the wait for the nodes is over.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { mustLeaveStoreFirst, recoveryOver, resumeFate } from '../../../src/head/resume-plan.js';

describe('the resume plan of a restarted head', () => {
  const fates: [string, { reported: boolean; queued: boolean }, ReturnType<typeof resumeFate>][] = [
    ['work an agent re-reports runs on there', { reported: true, queued: false }, 'running'],
    ['work an agent re-reports runs on there though the store still queues it (its delete was lost)', { reported: true, queued: true }, 'running'],
    ['work only in the store\'s queue was never sent: it runs', { reported: false, queued: true }, 'run'],
    ['work in neither is unknown, as before the queue was kept', { reported: false, queued: false }, 'unknown'],
  ];
  for (const [name, input, want] of fates) it(name, () => assert.equal(resumeFate(input), want));

  const leaving: [string, { written: boolean; mayRunTwice: boolean }, boolean][] = [
    ['work whose record the window still holds goes at once (nothing was written)', { written: false, mayRunTwice: false }, false],
    ['work that may not run twice waits for its written record\'s delete', { written: true, mayRunTwice: false }, true],
    ['a task that may run twice goes at once, its written record deleted behind', { written: true, mayRunTwice: true }, false],
  ];
  for (const [name, input, want] of leaving) it(name, () => assert.equal(mustLeaveStoreFirst(input), want));

  const recovery: [string, { now: number; recoverBy: number; nodesAway: number }, boolean][] = [
    ['waits while a node it knew is away and the grace lasts', { now: 1000, recoverBy: 5000, nodesAway: 1 }, false],
    ['is over once every node it knew is back or dead', { now: 1000, recoverBy: 5000, nodesAway: 0 }, true],
    ['is over once the grace has passed, nodes away or not', { now: 5001, recoverBy: 5000, nodesAway: 2 }, true],
    ['still waits at the grace\'s last moment', { now: 5000, recoverBy: 5000, nodesAway: 2 }, false],
  ];
  for (const [name, input, want] of recovery) it(`recovery ${name}`, () => assert.equal(recoveryOver(input), want));
});
