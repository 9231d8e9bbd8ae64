import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  type ChildExit, describeExit, FIRST_DELAY_MS, HEALTHY_UPTIME_MS, MAX_DELAY_MS, type RestartDecision, restartDecision, type RestartHistory,
} from '../../../src/runtime/restart-policy.js';

const killed: ChildExit = { code: null, signal: 'SIGKILL' };
const crashed: ChildExit = { code: 1, signal: null };
const T = 1_000_000;

const CASES: { name: string; exit: ChildExit; history: RestartHistory; now: number; want: RestartDecision }[] = [
  { name: 'exit code 0 is deliberate: no restart', exit: { code: 0, signal: null }, history: { startedAt: T, lastDelayMs: null }, now: T + 10, want: { restart: false } },
  { name: 'exit code 0 after restarts: still no restart', exit: { code: 0, signal: null }, history: { startedAt: T, lastDelayMs: 8000 }, now: T + 10, want: { restart: false } },
  { name: 'first crash waits 1 s', exit: crashed, history: { startedAt: T, lastDelayMs: null }, now: T + 10, want: { restart: true, delayMs: FIRST_DELAY_MS } },
  { name: 'killed by a signal restarts', exit: killed, history: { startedAt: T, lastDelayMs: null }, now: T + 10, want: { restart: true, delayMs: 1000 } },
  { name: 'SIGTERM from someone else restarts too', exit: { code: null, signal: 'SIGTERM' }, history: { startedAt: T, lastDelayMs: null }, now: T, want: { restart: true, delayMs: 1000 } },
  { name: 'a crash soon after a restart doubles the delay', exit: crashed, history: { startedAt: T, lastDelayMs: 1000 }, now: T + 500, want: { restart: true, delayMs: 2000 } },
  { name: 'doubling continues', exit: killed, history: { startedAt: T, lastDelayMs: 8000 }, now: T + HEALTHY_UPTIME_MS - 1, want: { restart: true, delayMs: 16_000 } },
  { name: 'the delay is capped at 30 s', exit: crashed, history: { startedAt: T, lastDelayMs: 16_000 }, now: T + 100, want: { restart: true, delayMs: MAX_DELAY_MS } },
  { name: 'and stays capped', exit: crashed, history: { startedAt: T, lastDelayMs: 30_000 }, now: T + 100, want: { restart: true, delayMs: 30_000 } },
  { name: 'a crash after HEALTHY_UPTIME_MS of uptime is restarted at once, however long the last delay', exit: crashed, history: { startedAt: T, lastDelayMs: 30_000 }, now: T + HEALTHY_UPTIME_MS, want: { restart: true, delayMs: 0 } },
  { name: 'a kill -9 of a child that was up from its first start is restarted at once', exit: killed, history: { startedAt: T, lastDelayMs: null }, now: T + HEALTHY_UPTIME_MS + 1, want: { restart: true, delayMs: 0 } },
  { name: 'a crash soon after an immediate restart waits 1 s: the crash loop backs off from there', exit: killed, history: { startedAt: T, lastDelayMs: 0 }, now: T + 500, want: { restart: true, delayMs: FIRST_DELAY_MS } },
  { name: 'a child that never started is retried with backoff', exit: { code: null, signal: null }, history: { startedAt: T, lastDelayMs: 2000 }, now: T, want: { restart: true, delayMs: 4000 } },
];

describe('supervisor restart policy', () => {
  for (const c of CASES) {
    it(c.name, () => assert.deepEqual(restartDecision(c.exit, c.history, c.now), c.want));
  }

  const CLEAN_KEPT: { name: string; exit: ChildExit; history: RestartHistory; now: number; want: RestartDecision }[] = [
    { name: 'the head node\'s agent that left cleanly is started again after 1 s', exit: { code: 0, signal: null }, history: { startedAt: T, lastDelayMs: null }, now: T + 10, want: { restart: true, delayMs: 1000 } },
    { name: 'and backs off like a crash when it keeps leaving', exit: { code: 0, signal: null }, history: { startedAt: T, lastDelayMs: 4000 }, now: T + 10, want: { restart: true, delayMs: 8000 } },
    { name: 'one that left after a healthy run (its head gone head_reconnect_timeout_s) is started again at once', exit: { code: 0, signal: null }, history: { startedAt: T, lastDelayMs: null }, now: T + 60_000, want: { restart: true, delayMs: 0 } },
    { name: 'its crashes are crashes', exit: crashed, history: { startedAt: T, lastDelayMs: null }, now: T + 10, want: { restart: true, delayMs: 1000 } },
  ];
  for (const c of CLEAN_KEPT) {
    it(`evenClean: ${c.name}`, () => assert.deepEqual(restartDecision(c.exit, c.history, c.now, { evenClean: true }), c.want));
  }

  it('backs off 1, 2, 4, 8, 16, 30, 30 s through a crash loop', () => {
    const delays: number[] = [];
    let history: RestartHistory = { startedAt: 0, lastDelayMs: null };
    let now = 0;
    for (let i = 0; i < 7; i++) {
      const d = restartDecision(killed, history, now + 100);
      assert.ok(d.restart);
      delays.push(d.delayMs);
      now += 100 + d.delayMs;
      history = { startedAt: now, lastDelayMs: d.delayMs };
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('restarts at once, then 1, 2, 4 s when a child that was up keeps crashing soon after each restart', () => {
    const delays: number[] = [];
    let history: RestartHistory = { startedAt: 0, lastDelayMs: null };
    let now = HEALTHY_UPTIME_MS;
    for (let i = 0; i < 4; i++) {
      const d = restartDecision(killed, history, now);
      assert.ok(d.restart);
      delays.push(d.delayMs);
      history = { startedAt: now + d.delayMs, lastDelayMs: d.delayMs };
      now += d.delayMs + 100;
    }
    assert.deepEqual(delays, [0, 1000, 2000, 4000]);
  });

  it('describes exits for the log', () => {
    assert.equal(describeExit(killed), 'SIGKILL');
    assert.equal(describeExit(crashed), 'code 1');
    assert.equal(describeExit({ code: null, signal: null }), 'not started');
  });
});
