// The head and the autoscaler together (real Head with its router, real Autoscaler; a fake provider and a fake clock): how many
// workers a job's queued tasks make the autoscaler launch, whatever the order in which new nodes register, the
// autoscaler ticks and its provider listings come back. Guards against counting one node twice while it
// registers: as capacity still launching and as a registered node whose tasks are also still counted as demand.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { FakeProvider } from '../../../../providers/fake/index.js';
import { toFixed } from '../../../../src/common/resources.js';
import { applyDefaults } from '../../../../src/config/defaults.js';
import { Autoscaler } from '../../../../src/head/autoscaler/loop.js';
import type { Peer } from '../../../../src/head/control-plane.js';
import type { Message } from '../../../../src/protocol/messages.js';
import { headHarness } from '../../../helpers/head-harness.js';
import { mulberry32, Rng } from '../../../helpers/plan-random.js';

const SEEDS = Number(process.env.SCALE_UP_SEEDS ?? 60);

interface Case { name: string; workerCpus: number; headCpus: number; maxWorkers: number; tasks: number; want: number }

/** A connection as the head sees it; what is sent to it is dropped (no task ever finishes here). */
function peer(id: number, nodeId: string, closed: string[]): Peer {
  return { id, identity: { kind: 'node', nodeId }, role: undefined, clientId: undefined, nodeId: undefined, jobId: undefined, send: () => undefined, close: (why) => { closed.push(`${nodeId}: ${why}`); } };
}

/**
 * One run: `tasks` one-CPU tasks that hold their CPU for good are queued on a cluster with no workers; then, in
 * an order the seed picks, the autoscaler ticks and the nodes it launched register, some of them while a tick's
 * provider listing is on its way back (the head's facts are then newer than the listing). Returns how many
 * workers were launched once every task runs.
 */
async function workersLaunched(c: Case, seed: number): Promise<number> {
  const rng = new Rng(mulberry32(seed));
  let now = 1_000_000;
  const clock = { now: () => now };
  const config = applyDefaults({
    provider: { type: 'process' }, max_workers: c.maxWorkers, head_node_type: 'head',
    available_node_types: { head: { resources: { CPU: c.headCpus } }, worker: { resources: { CPU: c.workerCpus }, min_workers: 0, max_workers: c.maxWorkers } },
    raylaunch: { demand_batch_ms: 0 },
  });
  const { head, router, readModel } = headHarness({ config, clock });
  const agents = new Map<string, Peer>();
  const closed: string[] = [];
  const register = (nodeId: string, kind: 'head' | 'worker', cpus: number) => {
    const p = peer(agents.size, nodeId, closed);
    agents.set(nodeId, p);
    const nodeType = kind === 'head' ? 'head' : 'worker';
    router.onMessages(p, [{ type: 'hello', role: 'agent', clientId: `agent-${nodeId}`, nodeId },
      { type: 'node.register', nodeId, nodeType, kind, address: nodeId, objectAddress: nodeId, resources: { CPU: cpus }, pid: 1 }]);
  };
  const heartbeats = () => { for (const [nodeId, p] of agents) router.onMessages(p, [{ type: 'heartbeat', nodeId }]); };

  const provider = new FakeProvider();
  provider.nodes.set('head', { id: 'head', nodeType: 'head', kind: 'head', status: 'running', tags: {} });
  register('head', 'head', c.headCpus);
  const submits: Message[] = Array.from({ length: c.tasks }, (_, i) => ({ type: 'submit', task: {
    taskId: `w.t${i}`, jobId: 'job', owner: 'w', fn: 'hold', name: 'hold', args: [], deps: [], returnId: `w.t${i}.r`,
    resources: toFixed({ CPU: 1 }), maxRetries: 0, retryExceptions: false,
  } }));
  // As a worker process on the head would, announced by the head's agent.
  router.onMessages(agents.get('head') as Peer, [{ type: 'hello', role: 'worker', clientId: 'w', nodeId: 'head', jobId: 'job' }, ...submits]);

  const unregistered = () => [...provider.nodes.values()].filter((n) => n.kind === 'worker' && !agents.has(n.id));
  const list = provider.listNodes.bind(provider);
  provider.listNodes = async () => {
    const listed = await list();
    for (const n of listed) if (n.kind === 'worker' && !agents.has(n.id) && rng.chance(0.3)) register(n.id, 'worker', c.workerCpus);
    return listed;
  };
  const autoscaler = new Autoscaler({
    provider, config, clock, facts: () => readModel.autoscalerFacts(), typeResources: (t) => head.nodeTypes.resourcesOf(t), drain: (id) => head.drain(id), launchHash: () => 'h',
  });
  try {
    for (let step = 0; step < 1000; step++) {
      const waiting = unregistered();
      assert.deepEqual(closed, [], 'the head closed an agent');
      if (head.tasks.counts().pending === 0 && waiting.length === 0) {
        return provider.calls.filter((x) => x.startsWith('launch ')).reduce((n, x) => n + Number(x.split(' ')[2]), 0);
      }
      if (waiting.length > 0 && rng.chance(0.5)) register(rng.pick(waiting).id, 'worker', c.workerCpus);
      else {
        now += rng.int(0, 1500);
        heartbeats();
        head.checkLiveness();
        await autoscaler.tick();
      }
    }
    throw new Error(`seed ${seed}: the tasks never all ran: ${autoscaler.events.map((e) => e.message).join('; ')}`);
  } finally {
    autoscaler.stop();
  }
}

describe('scale-up for queued tasks (Head + Autoscaler, fake provider, fake clock)', () => {
  const CASES: Case[] = [
    { name: '6 one-CPU tasks on 1-CPU workers (head without CPUs) launch 6', workerCpus: 1, headCpus: 0, maxWorkers: 10, tasks: 6, want: 6 },
    { name: '6 one-CPU tasks on 2-CPU workers launch 3', workerCpus: 2, headCpus: 0, maxWorkers: 10, tasks: 6, want: 3 },
    { name: 'a head with a CPU takes one of the 6: 5 1-CPU workers', workerCpus: 1, headCpus: 1, maxWorkers: 10, tasks: 6, want: 5 },
    { name: 'a head with a CPU takes one of the 6: 3 2-CPU workers', workerCpus: 2, headCpus: 1, maxWorkers: 10, tasks: 6, want: 3 },
    { name: 'max_workers exactly what 6 tasks need (tasks then go ahead to busy nodes): 3 2-CPU workers', workerCpus: 2, headCpus: 0, maxWorkers: 3, tasks: 6, want: 3 },
    { name: '12 one-CPU tasks on 1-CPU workers (twice the launch-rate limit) launch 12', workerCpus: 1, headCpus: 0, maxWorkers: 20, tasks: 12, want: 12 },
  ];
  for (const c of CASES) {
    it(`${c.name}, in each of ${SEEDS} random orders of ticks and registrations`, async () => {
      const wrong: string[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) {
        const n = await workersLaunched(c, seed);
        if (n !== c.want) wrong.push(`seed ${seed}: ${n}`);
      }
      assert.deepEqual(wrong, [], `launched other than ${c.want} workers`);
    });
  }
});
