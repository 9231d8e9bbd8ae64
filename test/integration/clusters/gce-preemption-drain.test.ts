// A GCE Spot node's preemption, end to end in memory: the fake GCP's metadata server turns the instance's
// `instance/preempted` TRUE, the agent's watch (as preemptionWatch picks it for a gcp Spot type) sees it through a
// held wait_for_change long-poll on loopback, the agent's message drains the node at the real head, and the real
// autoscaler (fake provider, fake clock) replaces it at once; the task that was sent there runs on the replacement.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { FakeProvider } from '../../../providers/fake/index.js';
import { toFixed } from '../../../src/common/resources.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { Autoscaler, LAUNCH_HASH_TAG } from '../../../src/head/autoscaler/loop.js';
import type { Message } from '../../../src/protocol/messages.js';
import { GCE_PREEMPTION_REASON } from '../../../src/worker/gce-preemption.js';
import { preemptionWatch } from '../../../src/worker/preemption.js';
import { FakeGcp, InMemoryHostPool, ManualClock } from '../../fakes/gcp/index.js';
import { instanceBody } from '../../helpers/gcp-bodies.js';
import { computeClients, isolateGcpEnv, type ComputeClients } from '../../helpers/gcp-env.js';
import { FakePeer, headHarness } from '../../helpers/head-harness.js';

const settled = () => new Promise((resolve) => setImmediate(resolve));
const Z = 'us-central1-a';

/** The cluster as its agent reads it: a gcp worker type on Spot, in Ray's list shape. */
const gcpConfig = applyDefaults({
  provider: { type: 'gcp', project_id: 'fake-project', region: 'us-central1', availability_zone: Z }, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 }, node_config: { machineType: 'e2-small' } }, worker: { resources: { CPU: 1 }, min_workers: 0, max_workers: 2, node_config: { machineType: 'e2-small', scheduling: [{ provisioningModel: 'SPOT' }] } } },
});
/** The head harness runs the process provider's config; the autoscaler's provider is the in-memory fake. */
const headConfig = applyDefaults({
  provider: { type: 'process' }, max_workers: 2, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, worker: { resources: { CPU: 1 }, min_workers: 0, max_workers: 2 } },
  raylaunch: { demand_batch_ms: 0 },
});

describe('a GCE preemption drains its node and replaces it at once', () => {
  let restoreEnv: () => void;
  let fake: FakeGcp;
  let cli: ComputeClients;

  before(() => { restoreEnv = isolateGcpEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    // The Spot instance's host is 127.0.0.1: the watch's metadata calls come from there, as from the instance.
    fake = await FakeGcp.start({ clock: new ManualClock(), pool: new InMemoryHostPool(['127.0.0.1']) });
    cli = computeClients(fake);
  });
  afterEach(async () => {
    await cli.close();
    await fake.close();
  });

  it('preempted → drained (nothing new placed there), replacement launched while the node is still listed, its task runs there', async () => {
    await cli.instances.insert({ project: fake.project, zone: Z, instanceResource: instanceBody('rl-c1-worker-1', Z, { scheduling: { provisioningModel: 'SPOT' } }) });

    let now = 1_000_000;
    const clock = { now: () => now };
    const provider = new FakeProvider();
    const { head, router, readModel } = headHarness({ config: headConfig, clock });
    const agents = new Map<string, FakePeer>();
    const register = (nodeId: string, nodeType: 'head' | 'worker', cpus: number) => {
      const p = new FakePeer({ kind: 'node', nodeId });
      agents.set(nodeId, p);
      router.onMessages(p, [{ type: 'hello', role: 'agent', clientId: `agent-${nodeId}`, nodeId },
        { type: 'node.register', nodeId, nodeType, kind: nodeType, address: nodeId, objectAddress: nodeId, resources: { CPU: cpus }, pid: 1 }]);
    };
    provider.nodes.set('head', { id: 'head', nodeType: 'head', kind: 'head', status: 'running', tags: {} });
    provider.nodes.set('spot-1', { id: 'spot-1', nodeType: 'worker', kind: 'worker', status: 'running', tags: { [LAUNCH_HASH_TAG]: 'h' } });
    register('head', 'head', 0);
    register('spot-1', 'worker', 1);
    const autoscaler = new Autoscaler({
      provider, config: headConfig, clock, facts: () => readModel.autoscalerFacts(), typeResources: (t) => head.nodeTypes.resourcesOf(t), drain: (id) => head.drain(id), launchHash: () => 'h',
    });
    const spot = agents.get('spot-1') as FakePeer;
    const reasons: string[] = [];
    let told: () => void = () => undefined;
    const noticed = new Promise<void>((resolve) => { told = resolve; });
    const watch = preemptionWatch(gcpConfig, 'worker', {
      onNotice: (reason) => {
        reasons.push(reason);
        router.onMessages(spot, [{ type: 'node.draining', nodeId: 'spot-1', reason }]);
        told();
      },
      onError: (e) => assert.fail(e),
    }, { GCE_METADATA_HOST: fake.metadataHost });
    assert.ok(watch, 'a gcp Spot type is watched');
    try {
      await autoscaler.tick();
      const submit: Message = { type: 'submit', task: {
        taskId: 'd.t0', jobId: 'job-0', owner: 'd', fn: 'work', name: 'work', args: [], deps: [], returnId: 'd.t0.r', resources: toFixed({ CPU: 1 }), maxRetries: 0, retryExceptions: false,
      } };
      router.onMessages(new FakePeer(), [{ type: 'hello', role: 'driver', clientId: 'd' }, submit]);
      await settled();
      assert.deepEqual(spot.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'the task went to the spot node');

      const held = once(fake.cloud, 'waiting');
      watch.start();
      await held; // the first read said FALSE; the long-poll from its ETag is now held by the server
      assert.deepEqual(reasons, [], 'no notice before GCE preempts');
      fake.preempt('rl-c1-worker-1');
      await noticed;
      assert.deepEqual(reasons, [GCE_PREEMPTION_REASON]);
      const calls = fake.metadata.calls.filter((c) => c.path.endsWith('/instance/preempted'));
      assert.equal(calls.length, 2, 'one read, one long-poll: no polling loop');

      await settled();
      const node = readModel.status(null).nodes.find((n) => n.nodeId === 'spot-1');
      assert.equal(node?.state, 'DRAINING');
      assert.equal(node?.drainReason, GCE_PREEMPTION_REASON);
      assert.deepEqual(spot.of('task.cancel').map((m) => m.taskId), ['d.t0'], 'what ran there is stopped');
      assert.equal(head.tasks.counts().pending, 1, 'the task waits for another node');

      now += 1000;
      await autoscaler.tick();
      const launches = provider.calls.filter((c) => c.startsWith('launch '));
      assert.equal(launches.length, 1, provider.calls.join('\n'));
      assert.match(launches[0] ?? '', /^launch worker 1 /);
      assert.ok(provider.nodes.has('spot-1'), 'the replacement was launched before the preempted node went');

      const replacement = [...provider.nodes.values()].find((n) => n.id !== 'spot-1' && n.kind === 'worker');
      assert.ok(replacement);
      provider.start(replacement.id);
      register(replacement.id, 'worker', 1);
      await settled();
      assert.deepEqual(agents.get(replacement.id)?.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'the task runs on the replacement');
      assert.deepEqual(spot.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'nothing new went to the drained node');
    } finally {
      watch.stop();
      autoscaler.stop();
    }
  });
});
