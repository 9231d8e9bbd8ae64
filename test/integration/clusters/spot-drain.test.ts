// A spot node's interruption notice, end to end in memory: the fake AWS's IMDS posts the notice for the node's
// instance, the agent's SpotWatcher reads it through the IMDSv2 token flow on loopback, the agent's message drains
// the node at the real head, and the real autoscaler (fake provider, fake clock) replaces it before it goes; the
// task that was sent there runs on the replacement.
import assert from 'node:assert/strict';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { FakeProvider } from '../../../providers/fake/index.js';
import { toFixed } from '../../../src/common/resources.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { Autoscaler, LAUNCH_HASH_TAG } from '../../../src/head/autoscaler/loop.js';
import type { Message } from '../../../src/protocol/messages.js';
import { imdsV2 } from '../../../src/worker/instance-metadata.js';
import { SPOT_NOTICE_REASON, type SpotNotice, SpotWatcher } from '../../../src/worker/spot-watcher.js';
import { FakeAws, InMemoryHostPool, ManualClock } from '../../fakes/aws/index.js';
import { awsClients, isolateAwsEnv, type AwsClients } from '../../helpers/aws-env.js';
import { FakePeer, headHarness } from '../../helpers/head-harness.js';

/** The head places work on a later turn of the event loop. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

const config = applyDefaults({
  provider: { type: 'process' }, max_workers: 2, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, worker: { resources: { CPU: 1 }, min_workers: 0, max_workers: 2 } },
  raylaunch: { demand_batch_ms: 0 },
});

describe('a spot interruption notice drains its node and replaces it before it goes', () => {
  let restoreEnv: () => void;
  let fake: FakeAws;
  let aws: AwsClients;

  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    // The spot instance's host is 127.0.0.1: the watcher's IMDS calls come from there, as from the instance.
    fake = await FakeAws.start({ clock: new ManualClock(), pool: new InMemoryHostPool(['127.0.0.1']) });
    aws = awsClients(fake);
  });
  afterEach(async () => {
    aws.destroy();
    await fake.close();
  });

  it('notice → drained (nothing new placed there), replacement launched while the node is still listed, its task runs on the replacement', async () => {
    const instance = (await aws.ec2.send(new RunInstancesCommand({
      ImageId: 'ami-0a1b2c3d4e5f60002', InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: 'spot' },
    }))).Instances?.[0]?.InstanceId ?? '';

    let now = 1_000_000;
    const clock = { now: () => now };
    const provider = new FakeProvider();
    const { head, router, readModel } = headHarness({ config, clock });
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
      provider, config, clock, facts: () => readModel.autoscalerFacts(), typeResources: (t) => head.nodeTypes.resourcesOf(t), drain: (id) => head.drain(id), launchHash: () => 'h',
    });
    const spot = agents.get('spot-1') as FakePeer;
    try {
      await autoscaler.tick(); // adopts spot-1 as running; nothing to launch
      const submit: Message = { type: 'submit', task: {
        taskId: 'd.t0', jobId: 'job-0', owner: 'd', fn: 'work', name: 'work', args: [], deps: [], returnId: 'd.t0.r', resources: toFixed({ CPU: 1 }), maxRetries: 0, retryExceptions: false,
      } };
      router.onMessages(new FakePeer(), [{ type: 'hello', role: 'driver', clientId: 'd' }, submit]);
      await settled();
      assert.deepEqual(spot.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'the task went to the spot node');

      // The agent's watch, as main.ts wires it: a notice becomes the agent's node.draining message.
      const notices: SpotNotice[] = [];
      const watcher = new SpotWatcher({
        metadata: imdsV2(fake.imdsEndpoint),
        onNotice: (n) => {
          notices.push(n);
          router.onMessages(spot, [{ type: 'node.draining', nodeId: 'spot-1', reason: `${SPOT_NOTICE_REASON} (${n.action} at ${n.time})` }]);
        },
        onError: (e) => assert.fail(e),
      });
      await watcher.poll();
      assert.equal(notices.length, 0, 'no notice before EC2 posts one');
      fake.interruptSpot(instance, { action: 'terminate', inMs: 120_000 });
      await watcher.poll();
      watcher.stop();
      assert.equal(notices.length, 1);
      assert.equal(notices[0]?.action, 'terminate');

      await settled();
      const node = readModel.status(null).nodes.find((n) => n.nodeId === 'spot-1');
      assert.equal(node?.state, 'DRAINING');
      assert.match(node?.drainReason ?? '', /^spot interruption notice \(terminate at \d{4}-/);
      assert.deepEqual(spot.of('task.cancel').map((m) => m.taskId), ['d.t0'], 'what ran there is stopped');
      assert.equal(spot.closedWith, undefined, 'the node stays connected until it goes');
      assert.equal(head.tasks.counts().pending, 1, 'the task waits for another node');

      now += 1000;
      await autoscaler.tick();
      const launches = provider.calls.filter((c) => c.startsWith('launch '));
      assert.equal(launches.length, 1, provider.calls.join('\n'));
      assert.match(launches[0] ?? '', /^launch worker 1 /);
      assert.ok(provider.nodes.has('spot-1'), 'the replacement was launched before the spot node went');
      const events = autoscaler.events.map((e) => `${e.kind}: ${e.message}`);
      assert.ok(events.some((e) => /^drain: spot-1: spot interruption notice \(terminate at .*\); drained/.test(e)), events.join('\n'));
      assert.ok(!events.some((e) => e.startsWith('terminate:')), 'the spot node is left to EC2 while its agent lives');

      const replacement = [...provider.nodes.values()].find((n) => n.id !== 'spot-1' && n.kind === 'worker');
      assert.ok(replacement);
      provider.start(replacement.id);
      register(replacement.id, 'worker', 1);
      await settled();
      assert.deepEqual(agents.get(replacement.id)?.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'the task runs on the replacement');
      assert.deepEqual(spot.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'nothing new went to the drained node');

      // EC2 takes the instance: its agent's connection ends, which is expected of a drained node (no failure).
      provider.nodes.delete('spot-1');
      router.onClose(spot);
      now += 1000;
      await autoscaler.tick();
      assert.equal(readModel.status(null).failures.filter((f) => f.nodeId === 'spot-1').length, 0);
    } finally {
      autoscaler.stop();
    }
  });
});
