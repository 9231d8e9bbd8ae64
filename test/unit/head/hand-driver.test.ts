import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { type HandDrivers, type HandJobFate, handJobFate } from '../../../src/head/jobs/hand-driver.js';

const GRACE = 60_000;
const drivers = (o: { connected?: string[]; away?: [string, number][]; exitCode?: number; refused?: string }): HandDrivers => ({
  connected: new Set(o.connected ?? []), away: new Map(o.away ?? []), exitCode: o.exitCode, refused: o.refused,
});
const NOT_BACK = 'the driver (client d1) lost its connection to the head and did not come back within 60 s (raylaunch.head_reconnect_timeout_s)';

describe('what becomes of a job whose driver was started by hand (handJobFate)', () => {
  const CASES: [string, HandDrivers, number, HandJobFate][] = [
    ['a connected driver keeps its job running', drivers({ connected: ['d1'] }), 10_000, { kind: 'running' }],
    ['a driver connected again keeps it running while another is still away', drivers({ connected: ['d2'], away: [['d1', 0]] }), GRACE * 2, { kind: 'running' }],
    ['a driver whose connection went without its ending is waited for until the grace is over',
      drivers({ away: [['d1', 1000]] }), 1000, { kind: 'waiting', until: 1000 + GRACE }],
    ['one millisecond before the grace is over it is still waited for', drivers({ away: [['d1', 1000]] }), 1000 + GRACE - 1, { kind: 'waiting', until: 1000 + GRACE }],
    ['a driver not back when the grace is over: the job is FAILED, saying the driver did not come back',
      drivers({ away: [['d1', 1000]] }), 1000 + GRACE, { kind: 'ended', state: 'FAILED', exitCode: null, message: NOT_BACK }],
    ['with two drivers away, the job waits for the one that went last', drivers({ away: [['d1', 0], ['d2', 5000]] }), GRACE, { kind: 'waiting', until: 5000 + GRACE }],
    ['the last driver ended with exit code 0: SUCCEEDED at once', drivers({ exitCode: 0 }), 0, { kind: 'ended', state: 'SUCCEEDED', exitCode: 0 }],
    ['the last driver ended with exit code 1 (main() failed): FAILED at once, by its code', drivers({ exitCode: 1 }), 0, { kind: 'ended', state: 'FAILED', exitCode: 1 }],
    ['a driver the head cut off for what it sent: FAILED at once, saying why, not waited for',
      drivers({ refused: 'bad put' }), 0, { kind: 'ended', state: 'FAILED', exitCode: null, message: 'bad put' }],
    ['a driver cut off while another is away: the job waits for the one away', drivers({ away: [['d1', 0]], refused: 'bad put' }), 10, { kind: 'waiting', until: GRACE }],
    ['a driver that ended while another is away: the job waits for the one away', drivers({ away: [['d1', 0]], exitCode: 0 }), 10, { kind: 'waiting', until: GRACE }],
  ];
  for (const [title, facts, now, fate] of CASES) {
    it(title, () => assert.deepEqual(handJobFate(facts, now, GRACE), fate));
  }
});
