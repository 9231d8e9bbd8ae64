import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { CloudNode } from '../../../../providers/provider.js';
import type { Instance, InstanceState } from '../../../../src/head/autoscaler/instance-state.js';
import { allocateListed, BOOT_POLL_MS, bootPollMs, isLeaving, markTerminating, runningIds, startSetups } from '../../../../src/head/autoscaler/instances.js';

const inst = (nodeId: string | undefined, state: InstanceState, first: InstanceState = 'requested', requestId = 'r'): Instance => ({
  id: nodeId ?? `${requestId}#0`, nodeType: 't', requestId, nodeId, state, since: 0, history: [{ state: first, at: 0, reason: 'x' }],
});
const node = (id: string, requestId: string): CloudNode => ({ id, nodeType: 't', kind: 'worker', status: 'pending', requestId, tags: {} });

describe('instance table operations', () => {
  const BOOT: { name: string; instances: Instance[]; intervalMs?: number; want: number | undefined }[] = [
    { name: 'a launch not listed yet', instances: [inst(undefined, 'requested')], want: BOOT_POLL_MS },
    { name: 'a launched instance listed but not set up (pending)', instances: [inst('n', 'allocated')], want: BOOT_POLL_MS },
    { name: 'nodes being set up or running only', instances: [inst('a', 'setting-up'), inst('b', 'running')], want: undefined },
    { name: 'an adopted node waiting to register (not launched here)', instances: [inst('n', 'allocated', 'allocated')], want: undefined },
    { name: 'a booting instance when the full tick is as frequent', instances: [inst('n', 'allocated')], intervalMs: BOOT_POLL_MS, want: undefined },
  ];
  for (const c of BOOT) {
    it(`the loop lists again ${c.want === undefined ? 'at the next full tick' : 'soon'} for ${c.name}`, () => {
      assert.equal(bootPollMs(c.instances, c.intervalMs ?? 1000), c.want);
    });
  }

  const LEAVING: [InstanceState, boolean][] = [['running', false], ['setting-up', false], ['draining', true], ['terminating', true], ['terminated', true], ['setup-failed', true]];
  for (const [state, want] of LEAVING) {
    it(`a node whose latest instance is ${state} is ${want ? '' : 'not '}on its way out`, () => {
      assert.equal(isLeaving([inst('n', 'terminated'), inst('n', state)], 'n'), want);
    });
  }

  const MARK: [InstanceState, InstanceState[]][] = [
    ['running', ['draining', 'terminating']], ['allocated', ['terminating']], ['setting-up', ['terminating']], ['setup-failed', ['terminating']], ['terminating', []], ['terminated', []],
  ];
  for (const [from, moves] of MARK) {
    it(`a ${from} node chosen for termination moves through ${moves.join(' → ') || 'nothing'}`, () => {
      const [out] = markTerminating([inst('n', from)], [{ id: 'n', reason: 'idle' }], 5);
      assert.deepEqual(out?.history.slice(1).map((h) => [h.state, h.reason]), moves.map((m) => [m, 'idle']));
    });
  }

  it('setups start on allocated nodes this head launched, not on adopted ones', () => {
    const r = startSetups([inst('a', 'allocated', 'queued'), inst('b', 'allocated', 'requested'), inst('c', 'allocated', 'allocated'), inst('d', 'running', 'requested')], new Set(['a', 'b', 'c', 'd']), 5);
    assert.deepEqual(r.nodeIds, ['a', 'b']);
    assert.deepEqual(r.instances.map((i) => i.state), ['setting-up', 'setting-up', 'allocated', 'running']);
  });

  it('a node the provider does not list running yet (a booting instance, no address) waits allocated for its setup', () => {
    const r = startSetups([inst('a', 'allocated', 'requested'), inst('b', 'allocated', 'requested')], runningIds([{ ...node('a', 'r'), status: 'running' }, node('b', 'r')]), 5);
    assert.deepEqual(r.nodeIds, ['a']);
    assert.deepEqual(r.instances.map((i) => i.state), ['setting-up', 'allocated']);
  });

  it('a listing gives each requested instance of the launches a node of its request, never one another instance holds', () => {
    const out = allocateListed([inst('n1', 'running', 'requested', 'r1'), inst(undefined, 'requested', 'requested', 'r1'), inst(undefined, 'requested', 'requested', 'r2')], new Set(['r1']), [node('n1', 'r1'), node('n2', 'r1'), node('n3', 'r2')], 5);
    assert.deepEqual(out.map((i) => [i.id, i.state]), [['n1', 'running'], ['n2', 'allocated'], ['r2#0', 'requested']]);
  });
});
