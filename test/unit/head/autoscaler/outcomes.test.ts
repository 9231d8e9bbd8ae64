import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { CapacityError, ProviderAuthError, ProviderConfigError, TransientProviderError } from '../../../../providers/errors.js';
import type { CloudNode } from '../../../../providers/provider.js';
import { BACKOFF_BASE_MS } from '../../../../src/head/autoscaler/backoff.js';
import type { Instance, InstanceState } from '../../../../src/head/autoscaler/instance-state.js';
import { launchFailure, setupFailure } from '../../../../src/head/autoscaler/failures.js';
import { applyOutcome, type AutoscalerState, type Outcome, resumeIfDue } from '../../../../src/head/autoscaler/outcomes.js';
import { NodeUpdateError } from '../../../../src/updater/errors-update.js';

const NOW = 50_000;
const inst = (state: InstanceState, o: Partial<Instance> = {}): Instance => ({
  id: 'r1#0', nodeType: 'gpu', requestId: 'r1', nodeId: undefined, state, since: 0, history: [{ state, at: 0, reason: 'test' }], ...o,
});
const state = (o: Partial<AutoscalerState> = {}): AutoscalerState => ({ instances: [], backoff: {}, stopped: undefined, setupSteps: {}, ...o });
// The executor reports what the error's class says (failures.ts); these go through it as a launch's errors do.
const failed = (error: unknown): Outcome => ({ kind: 'launch-failed', requestId: 'r1', nodeType: 'gpu', count: 1, failure: launchFailure(error) });

describe('applyOutcome(): what each outcome of the executor changes', () => {
  const LAUNCH_ERRORS: { name: string; error: unknown; backoffS?: number; stopped?: RegExp; until?: number; event: [string, RegExp] }[] = [
    { name: 'a capacity error backs the type off', error: new CapacityError('no capacity in us-east-1a', { reason: 'capacity' }), backoffS: BACKOFF_BASE_MS / 1000,
      event: ['backoff', /^gpu: no capacity in us-east-1a; not launched again for 10 s \(other types that fit are tried\)$/] },
    { name: 'a quota error backs the type off four times as long', error: new CapacityError('vCPU quota', { reason: 'quota' }), backoffS: 4 * BACKOFF_BASE_MS / 1000,
      event: ['backoff', /not launched again for 40 s/] },
    { name: 'an auth error stops launching for 300 s (the head\'s credentials rotate), saying what to fix', error: new ProviderAuthError('credentials rejected', { hint: 'renew them' }), stopped: /^credentials rejected \(renew them\); tried again in 300 s$/,
      event: ['error', /^launching stopped: credentials rejected \(renew them\); tried again in 300 s$/], until: NOW + 300_000 },
    { name: 'a config error stops launching', error: new ProviderConfigError('image not found'), stopped: /^image not found$/, event: ['error', /^launching stopped: image not found$/] },
    { name: 'a transient error is an error event; the next tick decides again', error: new TransientProviderError('throttled'), event: ['error', /^launch of 1 × gpu failed: throttled$/] },
  ];
  for (const c of LAUNCH_ERRORS) {
    it(c.name, () => {
      const { state: s, events } = applyOutcome(state({ instances: [inst('requested')] }), failed(c.error), NOW);
      assert.deepEqual(events.map((e) => e.kind), [c.event[0]]);
      assert.match(events[0]?.message ?? '', c.event[1]);
      assert.deepEqual(s.backoff.gpu?.until, c.backoffS === undefined ? undefined : NOW + c.backoffS * 1000);
      if (c.stopped) assert.match(s.stopped ?? '', c.stopped);
      else assert.equal(s.stopped, undefined);
      assert.equal(s.stoppedUntil, c.until);
      assert.deepEqual(s.instances[0]?.history.slice(-2).map((h) => h.state), ['allocation-failed', 'terminated']);
    });
  }

  it('a second capacity failure in a row backs off twice as long; a launch that goes through forgets them', () => {
    let s = applyOutcome(state(), failed(new CapacityError('x', { reason: 'capacity' })), NOW).state;
    s = applyOutcome(s, failed(new CapacityError('x', { reason: 'capacity' })), NOW).state;
    assert.deepEqual(s.backoff.gpu, { until: NOW + 2 * BACKOFF_BASE_MS, failures: 2 });
    s = applyOutcome(s, { kind: 'launched', requestId: 'r2', nodeType: 'gpu' }, NOW).state;
    assert.equal(s.backoff.gpu, undefined);
  });

  it('sent moves queued instances of the request to requested; a listing gives them their nodes', () => {
    let s = state({ instances: [inst('queued'), inst('queued', { id: 'r1#1' }), inst('queued', { id: 'r9#0', requestId: 'r9' })] });
    s = applyOutcome(s, { kind: 'sent', requestId: 'r1' }, NOW).state;
    assert.deepEqual(s.instances.map((i) => i.state), ['requested', 'requested', 'queued']);
    const node = (id: string, requestId: string): CloudNode => ({ id, nodeType: 'gpu', kind: 'worker', status: 'pending', requestId, tags: {} });
    s = applyOutcome(s, { kind: 'listed', requestIds: ['r1'], nodes: [node('n1', 'r1'), node('x', 'other')] }, NOW).state;
    assert.deepEqual(s.instances.map((i) => [i.id, i.state]), [['n1', 'allocated'], ['r1#1', 'requested'], ['r9#0', 'queued']]);
  });

  it('launching stopped by an auth error goes on once its wait is over; stopped by a config error, it stays stopped', () => {
    const auth = applyOutcome(state({ instances: [inst('requested')] }), failed(new ProviderAuthError('expired')), NOW).state;
    assert.equal(resumeIfDue(auth, NOW + 299_999).stopped?.startsWith('expired'), true);
    assert.deepEqual([resumeIfDue(auth, NOW + 300_000).stopped, resumeIfDue(auth, NOW + 300_000).stoppedUntil], [undefined, undefined]);
    const config = applyOutcome(state({ instances: [inst('requested')] }), failed(new ProviderConfigError('image not found')), NOW).state;
    assert.equal(resumeIfDue(config, NOW + 10 * 3600_000).stopped, 'image not found');
  });

  it('a dropped launch ends its queued instances', () => {
    const s = applyOutcome(state({ instances: [inst('queued')] }), { kind: 'dropped', requestId: 'r1', why: 'launching stopped' }, NOW).state;
    assert.deepEqual(s.instances[0]?.history.at(-1), { state: 'terminated', at: NOW, reason: 'launching stopped' });
  });

  it('a setup step is kept for status', () => {
    const s = applyOutcome(state(), { kind: 'setup-step', nodeId: 'n1', step: 'syncing-files' }, NOW).state;
    assert.deepEqual(s.setupSteps, { n1: 'syncing-files' });
  });

  const SETUP_FAILURES: { name: string; error: Error; step: string | null; exitCode: number | null; text: string }[] = [
    {
      name: 'a failed setup command: its step and exit code, the error on one line, the log',
      error: new NodeUpdateError('n1', '10.0.0.2', 'setting-up', '`make` failed on 10.0.0.2 with exit code 3; its last lines:\n    no space left', { commandExitCode: 3 }),
      step: 'setting-up', exitCode: 3, text: '`make` failed on 10.0.0.2 with exit code 3; its last lines: | no space left',
    },
    { name: 'a failure of no known step', error: new Error('connection reset'), step: null, exitCode: null, text: 'connection reset' },
  ];
  for (const c of SETUP_FAILURES) {
    it(`a setup that failed while the node was being set up is an event with fields: ${c.name}`, () => {
      const s0 = state({ instances: [inst('setting-up', { id: 'n1', nodeId: 'n1' })] });
      const { state: s, events } = applyOutcome(s0, { kind: 'setup-failed', nodeId: 'n1', failure: setupFailure(c.error), log: '/l/setup-n1.log' }, NOW);
      assert.deepEqual(events, [{
        kind: 'setup-failed', nodeId: 'n1', step: c.step, exitCode: c.exitCode, error: c.text, log: '/l/setup-n1.log',
        message: `setting up n1 failed: ${c.text} (log: /l/setup-n1.log)`,
      }]);
      assert.equal(s.instances[0]?.state, 'setup-failed');
      assert.equal(s.setupSteps.n1, 'update-failed');
    });
  }

  it('a setup that fails after its node was terminated is no failure to report', () => {
    const s0 = state({ instances: [inst('terminating', { id: 'n1', nodeId: 'n1' })] });
    const { state: s, events } = applyOutcome(s0, { kind: 'setup-failed', nodeId: 'n1', failure: setupFailure(new Error('closed')), log: '' }, NOW);
    assert.deepEqual([events, s.instances[0]?.state], [[], 'terminating']);
  });
});
