// The head's side of a cloud's interruption notice (an EC2 spot notice, a GCE preemption), shared by the two
// clouds' drain tests: a real head and autoscaler (in-memory fake provider, a clock the test moves) with a head
// node and one 1-CPU worker `spot-1` whose task `d.t0` is running there. Each test brings its cloud's notice.
import assert from 'node:assert/strict';
import { FakeProvider } from '../../providers/fake/index.js';
import { toFixed } from '../../src/common/resources.js';
import { applyDefaults } from '../../src/config/defaults.js';
import { Autoscaler, LAUNCH_HASH_TAG } from '../../src/head/autoscaler/loop.js';
import type { Message } from '../../src/protocol/messages.js';
import { FakePeer, headHarness } from './head-harness.js';

/** The head places work on a later turn of the event loop. */
export const settled = () => new Promise((resolve) => setImmediate(resolve));

/** The head harness runs the process provider's config; the autoscaler's provider is the in-memory fake. */
const headConfig = applyDefaults({
  provider: { type: 'process' }, max_workers: 2, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, worker: { resources: { CPU: 1 }, min_workers: 0, max_workers: 2 } },
  raylaunch: { demand_batch_ms: 0 },
});

/** A head with `spot-1` registered and adopted by the autoscaler (its first tick), `d.t0` placed there. */
export function drainScene() {
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

  /** The autoscaler's first tick adopts spot-1 as running (nothing to launch); a driver's task goes there. */
  const placeTaskOnSpot = async (): Promise<void> => {
    await autoscaler.tick();
    const submit: Message = { type: 'submit', task: {
      taskId: 'd.t0', jobId: 'job-0', owner: 'd', fn: 'work', name: 'work', args: [], deps: [], returnId: 'd.t0.r', resources: toFixed({ CPU: 1 }), maxRetries: 0, retryExceptions: false,
    } };
    router.onMessages(new FakePeer(), [{ type: 'hello', role: 'driver', clientId: 'd' }, submit]);
    await settled();
    assert.deepEqual(spot.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'the task went to the spot node');
  };

  /** spot-1 is DRAINING for `reason`, its task stopped and waiting for another node. */
  const assertDrained = (reason: string | RegExp): void => {
    const node = readModel.status(null).nodes.find((n) => n.nodeId === 'spot-1');
    assert.equal(node?.state, 'DRAINING');
    if (typeof reason === 'string') assert.equal(node?.drainReason, reason);
    else assert.match(node?.drainReason ?? '', reason);
    assert.deepEqual(spot.of('task.cancel').map((m) => m.taskId), ['d.t0'], 'what ran there is stopped');
    assert.equal(head.tasks.counts().pending, 1, 'the task waits for another node');
  };

  /** A second later the autoscaler launches one worker while spot-1 is still listed. */
  const assertReplacementLaunched = async (): Promise<void> => {
    now += 1000;
    await autoscaler.tick();
    const launches = provider.calls.filter((c) => c.startsWith('launch '));
    assert.equal(launches.length, 1, provider.calls.join('\n'));
    assert.match(launches[0] ?? '', /^launch worker 1 /);
    assert.ok(provider.nodes.has('spot-1'), 'the replacement was launched before the interrupted node went');
  };

  /** The replacement starts and registers; the task runs there, and nothing new went to the drained node. */
  const assertTaskRunsOnReplacement = async (): Promise<void> => {
    const replacement = [...provider.nodes.values()].find((n) => n.id !== 'spot-1' && n.kind === 'worker');
    assert.ok(replacement);
    provider.start(replacement.id);
    register(replacement.id, 'worker', 1);
    await settled();
    assert.deepEqual(agents.get(replacement.id)?.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'the task runs on the replacement');
    assert.deepEqual(spot.of('task.run').map((m) => m.task.taskId), ['d.t0'], 'nothing new went to the drained node');
  };

  return {
    head, router, readModel, provider, autoscaler, spot,
    advance: (ms: number) => { now += ms; },
    placeTaskOnSpot, assertDrained, assertReplacementLaunched, assertTaskRunsOnReplacement,
  };
}
