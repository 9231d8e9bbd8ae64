import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { CloudNode } from '../../../../providers/provider.js';
import { applyDefaults } from '../../../../src/config/defaults.js';
import type { Backoff } from '../../../../src/head/autoscaler/backoff.js';
import { NO_BATCH } from '../../../../src/head/autoscaler/batching.js';
import { AGENT_RESTART_GRACE_MS, decide, type DecideInput, decideWorkersOnly, LAUNCH_HASH_TAG } from '../../../../src/head/autoscaler/decide.js';
import type { ClusterFacts } from '../../../../src/head/autoscaler/facts.js';
import type { Instance, InstanceState } from '../../../../src/head/autoscaler/instance-state.js';

const NOW = 1_000_000;
const config = (o: { min?: number; maxLaunches?: number; batchMs?: number; idleS?: number } = {}) => applyDefaults({
  provider: { type: 'process' }, max_workers: 10,
  available_node_types: {
    head: { resources: { CPU: 0 } },
    small: { resources: { CPU: 1 }, min_workers: o.min ?? 0, max_workers: 10, ...(o.idleS !== undefined ? { idle_timeout_s: o.idleS } : {}) },
    gpu: { resources: { CPU: 4, GPU: 1 }, max_workers: 4 },
  },
  head_node_type: 'head',
  raylaunch: { demand_batch_ms: o.batchMs ?? 0, max_concurrent_launches: o.maxLaunches ?? 10 },
});

const head: CloudNode = { id: 'head', nodeType: 'head', kind: 'head', status: 'running', tags: {} };
const worker = (id: string, nodeType = 'small', requestId = 'r'): CloudNode => ({ id, nodeType, kind: 'worker', status: 'running', requestId, tags: { [LAUNCH_HASH_TAG]: 'h' } });
const fact = (nodeId: string, o: Partial<ClusterFacts['nodes'][number]> = {}): ClusterFacts['nodes'][number] => ({
  nodeId, nodeType: 'small', kind: 'worker', alive: true, total: { CPU: 1 }, available: { CPU: 1 }, lastUsedAt: NOW, registeredAt: NOW, ...o,
});
const inst = (nodeId: string | undefined, state: InstanceState, o: Partial<Instance> = {}): Instance => ({
  id: nodeId ?? 'r#0', nodeType: 'small', requestId: 'r', nodeId, state, since: NOW, history: [{ state: 'requested', at: NOW, reason: 'launch sent' }], ...o,
});

function input(o: Partial<Omit<DecideInput, 'facts'>> & { facts?: Partial<ClusterFacts> } = {}): DecideInput {
  const { facts, ...rest } = o;
  return {
    config: config(), cloud: [head], instances: [], backoff: {}, batch: NO_BATCH, stopped: false, typeResources: {},
    launchHash: { head: 'h', small: 'h', gpu: 'h' }, setsUpNodes: false, tick: 7, now: NOW,
    ...rest,
    facts: { nodes: [fact('head', { nodeType: 'head', kind: 'head', total: {}, available: {} })], demands: [], placementGroups: [], requested: [], ...facts },
  };
}

const launched = (d: ReturnType<typeof decide>) => d.launches.map((l) => [l.nodeType, l.count]);
const messages = (d: { events: { message: string }[] }) => d.events.map((e) => e.message);

describe('decide(): one pure decision per tick', () => {
  const LAUNCHES: { name: string; in: DecideInput; want: [string, number][]; events?: string[] }[] = [
    {
      name: 'a demand answered by the best-scoring type, with the demand it answers as the why',
      in: input({ facts: { demands: [{ resources: { CPU: 1 }, count: 2 }] } }),
      want: [['small', 2]], events: ['launch 2 × small for 2 pending {CPU: 1}'],
    },
    {
      name: 'the why names only the demands a node of the type can hold',
      in: input({ facts: { demands: [{ resources: { GPU: 1 }, count: 1 }, { resources: { CPU: 8 }, count: 1 }] } }),
      want: [['gpu', 1]], events: ['launch 1 × gpu for 1 pending {GPU: 1}'],
    },
    {
      name: 'min_workers, named as the why, even with unrelated work pending',
      in: input({ config: config({ min: 2 }), facts: { demands: [{ resources: { GPU: 1 }, count: 1 }] } }),
      want: [['small', 2], ['gpu', 1]], events: ['launch 2 × small for min_workers', 'launch 1 × gpu for 1 pending {GPU: 1}'],
    },
    {
      name: 'a placement group, named as the why',
      in: input({ facts: { placementGroups: [{ id: 'pg', strategy: 'STRICT_SPREAD', bundles: [{ resources: { CPU: 1 }, count: 3 }] }] } }),
      want: [['small', 3]], events: ['launch 3 × small for 1 placement group(s)'],
    },
    {
      name: 'a type backed off after a capacity error is not launched; another type that fits is',
      in: input({ backoff: { small: { until: NOW + 1, failures: 1 } } satisfies Backoff, facts: { demands: [{ resources: { CPU: 1 }, count: 1 }] } }),
      want: [['gpu', 1]],
    },
    {
      name: 'a backoff that has run out no longer counts',
      in: input({ backoff: { small: { until: NOW, failures: 1 } }, facts: { demands: [{ resources: { CPU: 1 }, count: 1 }] } }),
      want: [['small', 1]],
    },
    {
      name: 'the launch budget: max_concurrent_launches less the nodes still launching',
      in: input({ config: config({ maxLaunches: 3 }), instances: [inst(undefined, 'requested', { requestId: 'r2' }), inst('b', 'setting-up')], cloud: [head, worker('b')], facts: { demands: [{ resources: { CPU: 1 }, count: 5 }] } }),
      want: [['small', 1]],
    },
    {
      name: 'a demand still inside demand_batch_ms launches nothing',
      in: input({ config: config({ batchMs: 300 }), facts: { demands: [{ resources: { CPU: 1 }, count: 1 }] } }),
      want: [],
    },
    {
      name: 'a demand pending demand_batch_ms since a nudge saw it launches',
      in: input({ config: config({ batchMs: 300 }), batch: { since: new Map([['[["CPU",1]]', NOW - 300]]), unseen: new Set() }, facts: { demands: [{ resources: { CPU: 1 }, count: 1 }] } }),
      want: [['small', 1]],
    },
    {
      name: 'nothing is launched once launching stopped (an auth or config error)',
      in: input({ stopped: true, facts: { demands: [{ resources: { CPU: 1 }, count: 1 }] } }),
      want: [],
    },
  ];
  for (const c of LAUNCHES) {
    it(c.name, () => {
      const d = decide(c.in);
      assert.deepEqual(launched(d), c.want);
      if (c.events) assert.deepEqual(messages(d), c.events);
    });
  }

  it('each launch is queued in the instance table under its own request id until the executor sends it', () => {
    const d = decide(input({ facts: { demands: [{ resources: { CPU: 1 }, count: 2 }] } }));
    const [l] = d.launches;
    assert.equal(l?.requestId, `as-small-${NOW.toString(36)}-7`);
    assert.deepEqual(d.instances.map((i) => [i.id, i.state, i.requestId]), [[`${l?.requestId}#0`, 'queued', l?.requestId], [`${l?.requestId}#1`, 'queued', l?.requestId]]);
  });

  const TERMINATIONS: { name: string; in: DecideInput; want: [string, string][]; events?: string[] }[] = [
    {
      name: 'an idle worker past its idle timeout goes, with how long it was idle',
      in: input({ config: config({ idleS: 5 }), cloud: [head, worker('w1')], instances: [inst('w1', 'running')], facts: { nodes: [fact('w1', { lastUsedAt: NOW - 6200 })] } }),
      want: [['w1', 'idle']], events: ['terminate w1: idle 6 s'],
    },
    {
      name: 'a listed worker whose agent died within the grace period stays (its supervisor restarts it)',
      in: input({ cloud: [head, worker('w1')], instances: [inst('w1', 'running')], facts: { nodes: [fact('w1', { alive: false, diedAt: NOW - AGENT_RESTART_GRACE_MS + 1 })] } }),
      want: [],
    },
    {
      name: 'a listed worker whose agent stayed dead past the grace period goes',
      in: input({ cloud: [head, worker('w1')], instances: [inst('w1', 'running')], facts: { nodes: [fact('w1', { alive: false, diedAt: NOW - AGENT_RESTART_GRACE_MS })] } }),
      want: [['w1', 'never_registered']], events: ['terminate w1: never registered'],
    },
    {
      name: 'a node whose setup failed is handed back',
      in: input({ setsUpNodes: true, cloud: [head, worker('w1')], instances: [inst('w1', 'setup-failed')] }),
      want: [['w1', 'setup_failed']], events: ['terminate w1: setup failed'],
    },
    {
      name: 'a node still setting up past the node start timeout is given up on',
      in: input({ setsUpNodes: true, cloud: [head, worker('w1')], instances: [inst('w1', 'setting-up', { since: NOW - 300_001 })] }),
      want: [['w1', 'never_registered']],
    },
  ];
  for (const c of TERMINATIONS) {
    it(c.name, () => {
      const d = decide(c.in);
      assert.deepEqual(d.terminations.map((t) => [t.id, t.reason]), c.want);
      if (c.events) assert.deepEqual(messages(d).filter((m) => m.startsWith('terminate')), c.events);
      for (const [id] of c.want) assert.equal(d.instances.findLast((i) => i.nodeId === id)?.state, 'terminating', `${id} is marked terminating`);
    });
  }

  it('a running node chosen for termination drains first', () => {
    const d = decide(input({ config: config({ idleS: 5 }), cloud: [head, worker('w1')], instances: [inst('w1', 'running')], facts: { nodes: [fact('w1', { lastUsedAt: NOW - 6000 })] } }));
    assert.deepEqual(d.instances[0]?.history.slice(-2).map((h) => h.state), ['draining', 'terminating']);
  });

  const NOTICE = 'spot interruption notice (terminate at 2026-01-01T00:02:00Z)';
  const DRAINS: { name: string; in: DecideInput; state: InstanceState; launch: [string, number][]; terminate: string[]; events: RegExp[] }[] = [
    {
      name: 'a node the head drains on a spot notice counts as going: min_workers is kept by a replacement launched now',
      in: input({ config: config({ min: 1 }), cloud: [head, worker('w1')], instances: [inst('w1', 'running')], facts: { nodes: [fact('w1', { drainReason: NOTICE })] } }),
      state: 'draining', launch: [['small', 1]], terminate: [], events: [/^w1: spot interruption notice \(terminate at .*\); drained: its work moves/, /^launch 1 × small for min_workers$/],
    },
    {
      name: 'the work moved off a drained node is launched for, the drained node left out of the bin-packing',
      in: input({ cloud: [head, worker('w1')], instances: [inst('w1', 'running')], facts: { nodes: [fact('w1', { drainReason: NOTICE })], demands: [{ resources: { CPU: 1 }, count: 1 }] } }),
      state: 'draining', launch: [['small', 1]], terminate: [], events: [/drained/, /^launch 1 × small for 1 pending \{CPU: 1\}$/],
    },
    {
      name: 'a drained node whose instance was stopped (a spot stop) is terminated, not left behind',
      in: input({ cloud: [head, { ...worker('w1'), status: 'stopped' }], instances: [inst('w1', 'draining')], facts: { nodes: [fact('w1', { drainReason: NOTICE })] } }),
      state: 'terminating', launch: [], terminate: ['w1'], events: [/^terminate w1: drained node gone$/],
    },
    {
      name: 'a drained node whose agent is gone and that EC2 still lists is terminated',
      in: input({ cloud: [head, worker('w1')], instances: [inst('w1', 'draining')], facts: { nodes: [fact('w1', { alive: false, diedAt: NOW - 60_000 })] } }),
      state: 'terminating', launch: [], terminate: ['w1'], events: [/^terminate w1: drained node gone$/],
    },
    {
      name: 'a node drained before still drains quietly: no second drain event, nothing launched twice',
      in: input({ cloud: [head, worker('w1')], instances: [inst('w1', 'draining')], facts: { nodes: [fact('w1', { drainReason: NOTICE })] } }),
      state: 'draining', launch: [], terminate: [], events: [],
    },
  ];
  for (const c of DRAINS) {
    it(c.name, () => {
      const d = decide(c.in);
      assert.equal(d.instances.find((i) => i.nodeId === 'w1')?.state, c.state);
      assert.deepEqual(launched(d), c.launch);
      assert.deepEqual(d.terminations.map((t) => t.id), c.terminate);
      const got = messages(d);
      assert.equal(got.length, c.events.length, got.join('\n'));
      c.events.forEach((re, k) => assert.match(got[k] ?? '', re));
    });
  }

  it('cache_stopped_nodes: a stopped worker is kept for reuse, neither adopted nor terminated; a stopped instance is done', () => {
    const caching = applyDefaults({
      provider: { type: 'aws', region: 'us-west-2', cache_stopped_nodes: true }, max_workers: 10, head_node_type: 'head',
      available_node_types: { head: { resources: { CPU: 0 } }, small: { resources: { CPU: 1 }, max_workers: 10 } },
      raylaunch: { demand_batch_ms: 0 },
    });
    const stopped = { ...worker('w1'), status: 'stopped' as const };
    const d = decide(input({ config: caching, cloud: [head, stopped, { ...worker('w2'), status: 'stopped' as const }], instances: [inst('w2', 'terminating')], now: NOW + 3_600_000 }));
    assert.deepEqual(d.terminations, []);
    assert.equal(d.instances.find((i) => i.nodeId === 'w1'), undefined, 'not adopted');
    assert.equal(d.instances.find((i) => i.nodeId === 'w2')?.state, 'terminated');
    const plain = decide(input({ cloud: [head, stopped], now: NOW }));
    assert.equal(plain.instances.find((i) => i.nodeId === 'w1')?.state, 'allocated', 'without caching a stopped worker is adopted (and given up on if it never registers)');
  });

  const SETUPS: { name: string; setsUpNodes: boolean; instance: Instance; want: string[]; status?: CloudNode['status'] }[] = [
    { name: 'a node this head launched that the provider lists starts its setup (providers reached over SSH)', setsUpNodes: true, instance: inst(undefined, 'requested'), want: ['w1'] },
    { name: 'a node this head launched that is still pending (a booting instance) waits for a listing that shows it running', setsUpNodes: true, instance: inst(undefined, 'requested'), want: [], status: 'pending' },
    { name: 'a process node is never set up: it starts by itself', setsUpNodes: false, instance: inst(undefined, 'requested'), want: [] },
    { name: 'a node listed before this head started (adopted) is not set up again', setsUpNodes: true, instance: inst('w1', 'allocated', { history: [{ state: 'allocated', at: NOW, reason: 'adopted' }] }), want: [] },
    { name: 'a node already being set up is not set up twice', setsUpNodes: true, instance: inst('w1', 'setting-up'), want: [] },
  ];
  for (const c of SETUPS) {
    it(c.name, () => {
      const d = decide(input({ setsUpNodes: c.setsUpNodes, cloud: [head, { ...worker('w1'), status: c.status ?? 'running' }], instances: [c.instance] }));
      assert.deepEqual(d.setups, c.want);
      for (const id of c.want) assert.equal(d.instances.find((i) => i.nodeId === id)?.state, 'setting-up');
    });
  }

  it('is pure: the same input gives the same decision, and the input is left as it was', () => {
    const i = input({ config: config({ min: 1 }), instances: [inst('w1', 'running')], cloud: [head, worker('w1')] });
    const before = structuredClone(i.instances);
    assert.deepEqual(decide(i), decide(i));
    assert.deepEqual(i.instances, before);
  });
});

describe('decideWorkersOnly(): down --workers-only', () => {
  const cloud = [head, worker('w1'), worker('w2')];
  const facts: ClusterFacts = { nodes: [fact('w1', { busy: 'running work', registeredAt: NOW - 10 }), fact('w2', { registeredAt: NOW })], demands: [], placementGroups: [], requested: [] };
  for (const [keep, want] of [[false, ['w2', 'w1']], [true, ['w2']]] as const) {
    it(`${keep ? 'keeps min_workers (the busy and oldest), terminating the rest' : 'terminates every worker, idle and newest first'}`, () => {
      const d = decideWorkersOnly({ config: config({ min: 1 }), facts, cloud, instances: [inst('w1', 'running'), inst('w2', 'running')], keepMinWorkers: keep, now: NOW });
      assert.deepEqual(d.terminations.map((t) => t.id), want);
      assert.deepEqual(messages(d), want.map((id) => `terminate ${id}: down workers only`));
    });
  }
});
