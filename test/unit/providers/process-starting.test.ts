// What a reader of the process provider's records does with a node whose record says "starting" (starting.ts),
// and which records it takes for its own.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { parseRecord } from '../../../providers/process/records.js';
import { startingFate, type StartingFate } from '../../../providers/process/starting.js';

describe('a process node whose record says starting', () => {
  const found = { pid: 4242, startTime: 99 };
  const cases: [string, Parameters<typeof startingFate>[0], StartingFate][] = [
    ['its launcher lives: pending, the launcher writes its pid', { launcherAlive: true, found: undefined }, { kind: 'pending' }],
    ['its launcher lives and its process runs: still the launcher\'s to finish', { launcherAlive: true, found }, { kind: 'pending' }],
    ['its launcher died after starting it: adopted, with the pid and start time found', { launcherAlive: false, found }, { kind: 'adopt', ...found }],
    ['its launcher died before starting it (or it is gone): reaped', { launcherAlive: false, found: undefined }, { kind: 'reap' }],
  ];
  for (const [name, input, want] of cases) it(name, () => assert.deepEqual(startingFate(input), want));

  const base = { id: 'worker-abc123', nodeType: 'worker', kind: 'worker', requestId: 'r1', launchedAt: '2026-01-01T00:00:00Z', tags: {} };
  const records: [string, unknown, boolean][] = [
    ['a started node\'s record is taken', { ...base, pid: 100, startTime: 5 }, true],
    ['a starting record with its nonce and launcher is taken', { ...base, state: 'starting', nonce: 'a'.repeat(32), launcher: { pid: 100, startTime: 5 } }, true],
    ['a starting record without a launcher is not', { ...base, state: 'starting', nonce: 'a'.repeat(32) }, false],
    ['a starting record with a short nonce is not', { ...base, state: 'starting', nonce: 'abc', launcher: { pid: 100, startTime: 5 } }, false],
    ['a record with neither a pid nor a starting state is not', base, false],
  ];
  for (const [name, input, ok] of records) it(name, () => assert.equal(parseRecord(input) !== undefined, ok));
});
