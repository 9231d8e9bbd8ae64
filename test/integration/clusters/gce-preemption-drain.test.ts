// A GCE Spot node's preemption, end to end in memory: the fake GCP's metadata server turns the instance's
// `instance/preempted` TRUE, the agent's watch (as preemptionWatch picks it for a gcp Spot type) sees it through a
// held wait_for_change long-poll on loopback, the agent's message drains the node at the real head, and the real
// autoscaler (fake provider, fake clock) replaces it at once; the task that was sent there runs on the replacement.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { GCE_PREEMPTION_REASON } from '../../../src/worker/gce-preemption.js';
import { preemptionWatch } from '../../../src/worker/preemption.js';
import { FakeGcp, InMemoryHostPool, ManualClock } from '../../fakes/gcp/index.js';
import { instanceBody } from '../../helpers/gcp-bodies.js';
import { computeClients, isolateGcpEnv, type ComputeClients } from '../../helpers/gcp-env.js';
import { drainScene, settled } from '../../helpers/drain-scene.js';

const Z = 'us-central1-a';

/** The cluster as its agent reads it: a gcp worker type on Spot, in Ray's list shape. */
const gcpConfig = applyDefaults({
  provider: { type: 'gcp', project_id: 'fake-project', region: 'us-central1', availability_zone: Z }, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 }, node_config: { machineType: 'e2-small' } }, worker: { resources: { CPU: 1 }, min_workers: 0, max_workers: 2, node_config: { machineType: 'e2-small', scheduling: [{ provisioningModel: 'SPOT' }] } } },
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

    const scene = drainScene();
    const { autoscaler, router, spot } = scene;
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
      await scene.placeTaskOnSpot();

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
      scene.assertDrained(GCE_PREEMPTION_REASON);
      await scene.assertReplacementLaunched();
      await scene.assertTaskRunsOnReplacement();
    } finally {
      watch.stop();
      autoscaler.stop();
    }
  });
});
