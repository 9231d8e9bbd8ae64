// provider.cache_stopped_nodes on the GCP provider, through the client library against the fake GCP: idle workers
// are stopped, a later launch starts them again before it creates anything, Spot and preemptible workers included
// (also when GCE took them back); without it, GCE deletes a Spot or preemptible worker it takes back.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { createProvider } from '../../../providers/index.js';
import type { GcpProvider } from '../../../providers/gcp/index.js';
import { stopsNodes } from '../../../providers/provider.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { FakeGcp, InMemoryHostPool } from '../../fakes/gcp/index.js';
import { pointCliAtFake } from '../../helpers/gcp-adc.js';
import { isolateGcpEnv } from '../../helpers/gcp-env.js';

const HASH = 'raylaunch-launch-hash';
const Z = 'us-central1-a';
const DISKS = [{ boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { diskSizeGb: 20 } }];

describe('cache_stopped_nodes on the GCP provider (fake GCP, through the client library)', function () {
  this.timeout(120_000);
  let restoreEnv: () => void;
  let fake: FakeGcp;
  let dir: string;
  let provider: GcpProvider | undefined;

  const config = (cache: boolean): ClusterConfig => applyDefaults({
    cluster_name: 'rl-cache', max_workers: 10,
    provider: { type: 'gcp', region: 'us-central1', availability_zone: Z, project_id: fake.project, cache_stopped_nodes: cache },
    raylaunch: { ssh_ingress_cidr: '10.9.0.0/24' },
    head_node_type: 'head',
    available_node_types: {
      head: { resources: { CPU: 0 }, node_config: { machineType: 'n1-standard-2', disks: DISKS } },
      od: { resources: { CPU: 2 }, max_workers: 5, node_config: { machineType: 'n1-standard-2', disks: DISKS } },
      spot: { resources: { CPU: 2 }, max_workers: 5, node_config: { machineType: 'n1-standard-2', disks: DISKS, scheduling: [{ provisioningModel: 'SPOT' }] } },
      pre: { resources: { CPU: 2 }, max_workers: 5, node_config: { machineType: 'n1-standard-2', disks: DISKS, scheduling: [{ preemptible: true }] } },
    },
  });
  const load = async (cache: boolean): Promise<GcpProvider> => {
    const c = config(cache);
    provider = await createProvider(c, { clusterName: c.cluster_name, stateDir: dir, nodeEnv: {}, entry: () => '/none.js', onHead: true }) as GcpProvider;
    await provider.prepare(c, () => undefined);
    return provider;
  };
  const calls = (method: string) => fake.callsOf(method).filter((c) => c.status < 400);
  const states = async (p: GcpProvider) => Object.fromEntries((await p.listNodes()).map((n) => [n.id, `${n.status} ${n.requestId ?? ''}`]));
  /** Waits for the fake's instance to reach a status (bounded by the test's timeout). */
  const untilStatus = async (name: string, status: string) => {
    while ([...fake.cloud.instances.values()].find((i) => i.name === name)?.status !== status) await once(fake.cloud, 'change');
  };
  const launch = (p: GcpProvider, requestId: string, nodeType: string, count: number, hash: string) => p.launch({ requestId, nodeType, kind: 'worker', count, tags: { [HASH]: hash } });

  before(() => { restoreEnv = isolateGcpEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    fake = await FakeGcp.start({ pool: new InMemoryHostPool(Array.from({ length: 20 }, (_, i) => `127.0.9.${i + 1}`)) });
    pointCliAtFake(fake);
    dir = mkdtempSync(join(tmpdir(), 'rl-gcp-cache-'));
  });
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('idle workers are stopped, and a launch starts them again (under its request) before it creates any new instance', async () => {
    const p = await load(true);
    assert.ok(stopsNodes(p));
    await launch(p, 'r1', 'od', 2, 'h1');
    const first = (await p.listNodes()).map((n) => n.id);
    assert.equal(first.length, 2);
    await p.stop(first);
    assert.equal(calls('instances.stop').length, 2);
    assert.equal(calls('instances.delete').length, 0);
    assert.deepEqual(Object.values(await states(p)), ['stopped r1', 'stopped r1']);

    await launch(p, 'r2', 'od', 3, 'h1');
    assert.deepEqual(calls('instances.start').map((c) => c.path.split('/').at(-2)).sort(), [...first].sort());
    const bulk = calls('instances.bulkInsert');
    assert.equal(bulk.length, 2, 'one bulkInsert for r1, one for the one worker r2 still needed');
    assert.equal(Number((bulk[1]?.body as { count: unknown }).count), 1);
    const after = await states(p);
    for (const id of first) assert.match(after[id] ?? '', /^(pending|running) r2$/, JSON.stringify(after));
    assert.equal(Object.values(after).filter((s) => / r2$/.test(s)).length, 3);

    // The same request again (a retry) starts and creates nothing more.
    await launch(p, 'r2', 'od', 3, 'h1');
    assert.equal(calls('instances.start').length, 2);
    assert.equal(calls('instances.bulkInsert').length, 2);
  });

  it('a stopped worker of another launch hash (outdated) is not started again', async () => {
    const p = await load(true);
    await launch(p, 'r1', 'od', 1, 'old');
    await p.stop((await p.listNodes()).map((n) => n.id));
    await launch(p, 'r2', 'od', 1, 'new');
    assert.equal(calls('instances.start').length, 0);
    assert.equal(calls('instances.bulkInsert').length, 2);
  });

  for (const type of ['spot', 'pre']) {
    const kind = type === 'spot' ? 'Spot' : 'preemptible';
    it(`${kind} workers are stopped when idle and started again, keeping GCE's default when GCE takes them back`, async () => {
      const p = await load(true);
      await launch(p, 'r1', type, 2, 'h1');
      const body = calls('instances.bulkInsert')[0]?.body as { instanceProperties: { scheduling: Record<string, unknown> } };
      assert.equal(body.instanceProperties.scheduling.instanceTerminationAction, undefined);
      const first = (await p.listNodes()).map((n) => n.id);
      await p.stop(first);
      assert.equal(calls('instances.stop').length, 2);
      assert.equal(calls('instances.delete').length, 0);
      await launch(p, 'r2', type, 2, 'h1');
      assert.deepEqual(calls('instances.start').map((c) => c.path.split('/').at(-2)).sort(), [...first].sort());
      assert.equal(calls('instances.bulkInsert').length, 1);
    });

    it(`without cache_stopped_nodes, ${kind} workers are deleted when GCE takes them back`, async () => {
      const p = await load(false);
      await launch(p, 'r1', type, 1, 'h1');
      const body = calls('instances.bulkInsert')[0]?.body as { instanceProperties: { scheduling: Record<string, unknown> } };
      assert.equal(body.instanceProperties.scheduling.instanceTerminationAction, 'DELETE');
    });
  }

  it('a Spot worker GCE took back (stopped) is started again by the next launch of its type', async () => {
    const p = await load(true);
    await launch(p, 'r1', 'spot', 1, 'h1');
    const [id] = (await p.listNodes()).map((n) => n.id);
    assert.ok(id);
    await untilStatus(id, 'RUNNING');
    fake.preempt(id, { inMs: 0 });
    await untilStatus(id, 'TERMINATED');
    await launch(p, 'r2', 'spot', 1, 'h1');
    assert.deepEqual(calls('instances.start').map((c) => c.path.split('/').at(-2)), [id]);
    assert.equal(calls('instances.bulkInsert').length, 1);
  });

  it('without cache_stopped_nodes a launch never starts a stopped worker', async () => {
    const p = await load(false);
    await launch(p, 'r1', 'od', 1, 'h1');
    await p.stop((await p.listNodes()).map((n) => n.id));
    await launch(p, 'r2', 'od', 1, 'h1');
    assert.equal(calls('instances.start').length, 0);
  });
});
