import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { FakeProvider } from '../../../../providers/fake/index.js';
import type { LaunchRequest, NodeProvider } from '../../../../providers/provider.js';
import { AGENT_RESTART_GRACE_MS, Autoscaler, type AutoscalerMetrics, type ClusterFacts, LAUNCH_HASH_TAG } from '../../../../src/head/autoscaler/loop.js';
import { applyDefaults } from '../../../../src/config/defaults.js';
import { MemoryDatabase } from '../../../../src/head/gcs/memory.js';
import { openStore } from '../../../../src/head/gcs/open.js';
import { until } from '../../../helpers/until.js';

const config = (o: { min?: number; max?: number; idleS?: number; batchMs?: number } = {}) => applyDefaults({
  provider: { type: 'process' }, max_workers: o.max ?? 4,
  available_node_types: {
    head: { resources: { CPU: 0 } },
    small: { resources: { CPU: 1 }, min_workers: o.min ?? 0, max_workers: o.max ?? 4, ...(o.idleS !== undefined ? { idle_timeout_s: o.idleS } : {}) },
    big: { resources: { CPU: 4 }, max_workers: 2 },
  },
  head_node_type: 'head',
  raylaunch: { demand_batch_ms: o.batchMs ?? 300 },
});

describe('the autoscaler loop (fake provider, fake clock)', () => {
  let now: number;
  let provider: FakeProvider;
  let facts: ClusterFacts;
  let drained: string[];
  let made: Autoscaler[] = [];
  const make = (c = config()) => {
    const a = new Autoscaler({ provider, config: c, clock: { now: () => now }, facts: () => facts, drain: (id) => drained.push(id), launchHash: () => 'h' });
    made.push(a);
    return a;
  };
  // A loop re-arms itself for demand inside its batch window; with a clock that stands still it would never end.
  afterEach(() => {
    for (const a of made) a.stop();
    made = [];
  });
  /** The provider's nodes register with the head (as their agents would). */
  const register = () => {
    for (const n of workers()) {
      provider.start(n.id);
      if (!facts.nodes.some((f) => f.nodeId === n.id)) {
        const cpu = n.nodeType === 'big' ? 4 : 1;
        facts.nodes.push({ nodeId: n.id, nodeType: n.nodeType, kind: 'worker', alive: true, total: { CPU: cpu }, available: { CPU: cpu }, lastUsedAt: now, registeredAt: now });
      }
    }
  };

  beforeEach(() => {
    now = 1_000_000;
    provider = new FakeProvider();
    drained = [];
    facts = { nodes: [{ nodeId: 'head', nodeType: 'head', kind: 'head', alive: true, total: {}, available: {}, lastUsedAt: now, registeredAt: now }], demands: [], placementGroups: [], requested: [] };
    provider.nodes.set('head', { id: 'head', nodeType: 'head', kind: 'head', status: 'running', tags: {} });
  });
  const workers = () => [...provider.nodes.values()].filter((n) => n.kind === 'worker');

  it('a restarted head\'s autoscaler matches a launch in flight when the head died to its node, never launching it again', async () => {
    const memory = new MemoryDatabase();
    const first = await openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
    // The head dies while its launch call is in flight: the call never returns to it.
    let sent: (req: LaunchRequest) => void = () => undefined;
    const inFlight = new Promise<LaunchRequest>((resolve) => { sent = resolve; });
    const dying: NodeProvider = { listNodes: () => provider.listNodes(), terminate: (ids) => provider.terminate(ids), launch: (req) => { sent(req); return new Promise(() => undefined); } };
    const a = new Autoscaler({ provider: dying, config: config({ min: 1 }), clock: { now: () => now }, facts: () => facts, drain: () => undefined, launchHash: () => 'h', store: first });
    made.push(a);
    void a.tick();
    const req = await inFlight;
    a.stop();
    await first.close();

    now += 2000;
    const again = await openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
    const b = new Autoscaler({ provider, config: config({ min: 1 }), clock: { now: () => now }, facts: () => facts, drain: () => undefined, launchHash: () => 'h', store: again });
    made.push(b);
    await b.tick();
    assert.deepEqual(provider.calls.filter((c) => c.startsWith('launch')), [], 'nothing launched while the first launch may still come up');
    // The cloud did take the launch: its node appears, with the request's id, and registers.
    provider.nodes.set('w-late', { id: 'w-late', nodeType: req.nodeType, kind: 'worker', status: 'running', requestId: req.requestId, tags: { [LAUNCH_HASH_TAG]: 'h' } });
    register();
    now += 1000;
    await b.tick();
    assert.deepEqual(provider.calls.filter((c) => c.startsWith('launch')), []);
    assert.deepEqual(workers().map((n) => n.id), ['w-late']);
    assert.deepEqual(b.view().events.filter((e) => e.kind === 'launch'), []);
    await again.close();
  });

  it('keeps min_workers, and replaces a node that dies', async () => {
    const a = make(config({ min: 2 }));
    await a.tick();
    assert.equal(workers().length, 2);
    register();
    now += 1000;
    await a.tick();
    const victim = workers()[0]?.id as string;
    provider.nodes.delete(victim);
    (facts.nodes.find((n) => n.nodeId === victim) as { alive: boolean }).alive = false;
    now += 1000;
    await a.tick();
    assert.equal(workers().length, 2, provider.calls.join('\n'));
  });

  it('gives a listed node whose agent died time to come back (a supervisor restarts it) before replacing it', async () => {
    const a = make(config({ min: 1 }));
    await a.tick();
    register();
    now += 1000;
    await a.tick();
    const [node] = workers();
    const f = facts.nodes.find((n) => n.nodeId === node?.id) as { alive: boolean; diedAt?: number };
    f.alive = false;
    f.diedAt = now;
    now += AGENT_RESTART_GRACE_MS - 1000;
    await a.tick();
    assert.deepEqual(workers().map((n) => n.id), [node?.id], 'still within the grace: nothing terminated or launched');
    now += 2000;
    await a.tick();
    assert.ok(!workers().some((n) => n.id === node?.id), 'past the grace it is replaced');
  });

  it('a demand pending less than demand_batch_ms launches nothing; then the best-scoring type is launched', async () => {
    const a = make();
    facts.demands = [{ resources: { CPU: 1 }, count: 3 }];
    await a.tick();
    assert.equal(workers().length, 0);
    now += 350;
    await a.tick();
    // Ray's utilization score prefers one {CPU: 4} node (3/4 used) to three {CPU: 1} nodes.
    assert.deepEqual(workers().map((n) => n.nodeType), ['big']);
    assert.match(a.events.at(-1)?.message ?? '', /^launch 1 × big for 3 pending \{CPU: 1\}$/);
  });

  it('a capacity error backs the type off and the next tick falls back to another type that fits', async () => {
    const a = make();
    facts.demands = [{ resources: { CPU: 1 }, count: 1 }];
    provider.failNext('launch', 'capacity', 'small');
    await a.tick();
    now += 400;
    await a.tick();
    assert.equal(workers().length, 0);
    assert.equal(a.events.at(-1)?.kind, 'backoff');
    now += 1000;
    await a.tick();
    assert.deepEqual(workers().map((n) => n.nodeType), ['big']);
  });

  it('an auth error stops launching and status says why', async () => {
    const a = make();
    facts.demands = [{ resources: { CPU: 1 }, count: 1 }];
    provider.failNext('launch', 'auth');
    await a.tick();
    now += 400;
    await a.tick();
    now += 1000;
    await a.tick();
    assert.equal(workers().length, 0);
    assert.match(a.view().stopped ?? '', /credentials rejected/);
  });

  /** One small worker launched for one demand, registered, then idle 6 s (past an idle_timeout_s of 5) and ticked. */
  const launchThenIdle = async (a: Autoscaler) => {
    facts.demands = [{ resources: { CPU: 1 }, count: 1 }];
    await a.tick();
    now += 400;
    await a.tick();
    register();
    facts.demands = [];
    now += 6000;
    await a.tick();
  };

  it('an idle worker past its idle_timeout_s is drained and terminated, with the reason', async () => {
    const a = make(config({ idleS: 5 }));
    await launchThenIdle(a);
    assert.equal(workers().length, 0);
    assert.equal(drained.length, 1);
    assert.match(a.events.at(-1)?.message ?? '', /^terminate small-0: idle 6 s$/);
  });

  it('a node id reused by a later node (a host pool hands the host out again) is idle-terminated like any other', async () => {
    const a = make(config({ idleS: 5 }));
    await launchThenIdle(a);
    assert.equal(workers().length, 0);
    now += 1000;
    await a.tick(); // sees it gone
    // The same host comes back under the same id for new work, registers, and goes idle again.
    facts.nodes = facts.nodes.filter((n) => n.nodeId !== 'small-0');
    provider.nodes.set('small-0', { id: 'small-0', nodeType: 'small', kind: 'worker', status: 'running', requestId: 'again', tags: {} });
    register();
    now += 1000;
    await a.tick();
    now += 6000;
    await a.tick();
    assert.equal(workers().length, 0, a.events.map((e) => e.message).join('\n'));
  });

  it('a failing list call is counted and never fatal', async () => {
    const a = make();
    provider.failNext('list', 'transient');
    await a.tick();
    assert.equal(a.view().errors, 1);
    await a.tick();
    assert.equal(a.view().errors, 1);
  });

  it('counts its launches, terminations, failures and ticks into its metrics sink, each by type or reason', async () => {
    const counted: string[] = [];
    const metrics: AutoscalerMetrics = {
      launched: (t, n) => counted.push(`launched ${t} ${n}`), terminated: (r) => counted.push(`terminated ${r}`),
      failed: (r, t) => counted.push(`failed ${r} ${t ?? '-'}`), tick: (s) => counted.push(`tick ${s}`),
    };
    const a = new Autoscaler({ provider, config: config({ idleS: 5 }), clock: { now: () => now }, facts: () => facts, drain: () => undefined, launchHash: () => 'h', metrics });
    made.push(a);
    provider.failNext('launch', 'capacity', 'small');
    facts.demands = [{ resources: { CPU: 1 }, count: 1 }];
    await a.tick();
    now += 400;
    await a.tick(); // small: no capacity
    now += 1000;
    await a.tick(); // big instead
    register();
    facts.demands = [];
    now += 60 * 60_000;
    await a.tick(); // idle past idle_timeout_minutes
    provider.failNext('list', 'transient');
    await a.tick();
    assert.deepEqual(counted.filter((c) => !c.startsWith('tick')), ['launched small 1', 'failed capacity small', 'launched big 1', 'terminated idle', 'failed tick -']);
    assert.deepEqual(counted.filter((c) => c.startsWith('tick')), Array(5).fill('tick 0'), 'every tick timed on the loop\'s clock, a failed one too');
  });

  for (const batchMs of [300, 0]) {
    it(`a nudge sent just before its demand is queued launches when the ${batchMs} ms window ends, not at the next tick`, async () => {
      const a = make(config({ batchMs }));
      a.nudge(); // the head nudges, then queues the task, in the same turn
      facts.demands = [{ resources: { CPU: 1 }, count: 1 }];
      await new Promise((r) => setImmediate(r));
      now += batchMs;
      // Never started, this loop has no interval ticks: only the nudge's timer can launch.
      await until('the launch', 20_000, () => (workers().length > 0 ? true : undefined)).catch(() => undefined);
      a.stop();
      assert.equal(workers().length, 1, provider.calls.join('\n'));
    });
  }
});
