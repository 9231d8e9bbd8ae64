import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { CloudNode } from '../../../../providers/provider.js';
import { IllegalTransitionError, type Instance, type InstanceState, transition, TRANSITIONS } from '../../../../src/head/autoscaler/instance-state.js';
import { reconcile } from '../../../../src/head/autoscaler/reconcile.js';

const inst = (state: InstanceState, o: Partial<Instance> = {}): Instance => ({
  id: 'r#0', nodeType: 'w', requestId: 'r', nodeId: undefined, state, since: 0, history: [], ...o,
});
const node = (id: string, requestId = 'r'): CloudNode => ({ id, nodeType: 'w', kind: 'worker', status: 'running', requestId, tags: {} });

describe('instance lifecycle table', () => {
  it('every edge of the table has a reason, and every state can reach terminated', () => {
    for (const [from, edges] of Object.entries(TRANSITIONS)) {
      for (const [to, why] of Object.entries(edges)) assert.ok(typeof why === 'string' && why.length > 10, `${from} → ${to} explains itself`);
      const seen = new Set<string>([from]);
      const stack = [from];
      while (stack.length > 0) for (const to of Object.keys(TRANSITIONS[stack.pop() as InstanceState])) if (!seen.has(to)) { seen.add(to); stack.push(to); }
      assert.ok(seen.has('terminated'), `${from} can end`);
    }
  });

  const MOVES: [InstanceState, InstanceState, boolean][] = [
    ['requested', 'allocated', true], ['allocated', 'running', true], ['running', 'draining', true], ['draining', 'terminating', true],
    ['terminating', 'terminated', true], ['requested', 'running', false], ['terminated', 'running', false], ['running', 'allocated', false],
    ['queued', 'requested', true], ['allocated', 'setting-up', true], ['setting-up', 'setup-failed', true], ['setup-failed', 'terminating', true],
    ['queued', 'allocated', false], ['setup-failed', 'running', false],
  ];
  for (const [from, to, ok] of MOVES) {
    it(`${from} → ${to} is ${ok ? 'allowed and recorded' : 'refused'}`, () => {
      if (!ok) return assert.throws(() => transition(inst(from), to, 5, 'why'), IllegalTransitionError);
      const next = transition(inst(from), to, 5, 'why');
      assert.deepEqual([next.state, next.since, next.history.at(-1)], [to, 5, { state: to, at: 5, reason: 'why' }]);
    });
  }
});

describe('reconcile()', () => {
  const base = { registered: new Set<string>(), dead: new Set<string>(), now: 1000, startTimeoutMs: 500 };
  const CASES: { name: string; instances: Instance[]; cloud: CloudNode[]; registered?: string[]; dead?: string[]; now?: number; want: [string, InstanceState][]; never?: string[] }[] = [
    { name: 'a listed node of the request is allocated', instances: [inst('requested')], cloud: [node('n1')], want: [['n1', 'allocated']] },
    { name: 'an allocated node whose agent registered is running', instances: [inst('allocated', { id: 'n1', nodeId: 'n1' })], cloud: [node('n1')], registered: ['n1'], want: [['n1', 'running']] },
    { name: 'a node that never registers within the start timeout is given up on', instances: [inst('allocated', { id: 'n1', nodeId: 'n1', since: 100 })], cloud: [node('n1')], want: [['n1', 'terminating']], never: ['n1'] },
    { name: 'a running node that vanished from the provider is terminated', instances: [inst('running', { id: 'n1', nodeId: 'n1' })], cloud: [], want: [['n1', 'terminated']] },
    { name: 'a running node whose agent died is terminated', instances: [inst('running', { id: 'n1', nodeId: 'n1' })], cloud: [node('n1')], dead: ['n1'], want: [['n1', 'terminating']], never: ['n1'] },
    { name: 'a request with nothing listed past the start timeout ends', instances: [inst('requested', { since: 100 })], cloud: [], want: [['r#0', 'terminated']] },
    { name: 'a node nobody launched (before this head) is adopted', instances: [], cloud: [node('old', 'earlier')], registered: ['old'], want: [['old', 'running']] },
    { name: 'a node being set up whose agent registered is running', instances: [inst('setting-up', { id: 'n1', nodeId: 'n1' })], cloud: [node('n1')], registered: ['n1'], want: [['n1', 'running']] },
    { name: 'a node still being set up past the start timeout is given up on', instances: [inst('setting-up', { id: 'n1', nodeId: 'n1', since: 100 })], cloud: [node('n1')], want: [['n1', 'terminating']], never: ['n1'] },
    { name: 'a node whose setup failed waits for the next decision to hand it back', instances: [inst('setup-failed', { id: 'n1', nodeId: 'n1', since: 100 })], cloud: [node('n1')], want: [['n1', 'setup-failed']] },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      const out = reconcile({ ...base, instances: c.instances, cloud: c.cloud, registered: new Set(c.registered ?? []), dead: new Set(c.dead ?? []), now: c.now ?? 1000 });
      assert.deepEqual(out.instances.map((i) => [i.id, i.state]), c.want);
      assert.deepEqual(out.neverRegistered, c.never ?? []);
    });
  }
});
