// A spot node's interruption notice, end to end in memory: the fake AWS's IMDS posts the notice for the node's
// instance, the agent's SpotWatcher reads it through the IMDSv2 token flow on loopback, the agent's message drains
// the node at the real head, and the real autoscaler (fake provider, fake clock) replaces it before it goes; the
// task that was sent there runs on the replacement.
import assert from 'node:assert/strict';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { imdsV2 } from '../../../src/worker/instance-metadata.js';
import { SPOT_NOTICE_REASON, type SpotNotice, SpotWatcher } from '../../../src/worker/spot-watcher.js';
import { FakeAws, InMemoryHostPool, ManualClock } from '../../fakes/aws/index.js';
import { awsClients, isolateAwsEnv, type AwsClients } from '../../helpers/aws-env.js';
import { drainScene, settled } from '../../helpers/drain-scene.js';

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

    const scene = drainScene();
    const { autoscaler, provider, readModel, router, spot } = scene;
    try {
      await scene.placeTaskOnSpot();

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
      scene.assertDrained(/^spot interruption notice \(terminate at \d{4}-/);
      assert.equal(spot.closedWith, undefined, 'the node stays connected until it goes');
      await scene.assertReplacementLaunched();
      const events = autoscaler.events.map((e) => `${e.kind}: ${e.message}`);
      assert.ok(events.some((e) => /^drain: spot-1: spot interruption notice \(terminate at .*\); drained/.test(e)), events.join('\n'));
      assert.ok(!events.some((e) => e.startsWith('terminate:')), 'the spot node is left to EC2 while its agent lives');

      await scene.assertTaskRunsOnReplacement();

      // EC2 takes the instance: its agent's connection ends, which is expected of a drained node (no failure).
      provider.nodes.delete('spot-1');
      router.onClose(spot);
      scene.advance(1000);
      await autoscaler.tick();
      assert.equal(readModel.status(null).failures.filter((f) => f.nodeId === 'spot-1').length, 0);
    } finally {
      autoscaler.stop();
    }
  });
});
