// The fake Compute API through the real @google-cloud/compute (REST transport), each call as the provider makes it.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { FakeGcp, InMemoryHostPool, ManualClock } from '../../fakes/gcp/index.js';
import { instanceBody, instanceProperties, opOf, type IOperation } from '../../helpers/gcp-bodies.js';
import { fakeGcpPerTest, gceErrorOf, userAuth, type ComputeClients } from '../../helpers/gcp-env.js';

const Z = 'us-central1-a';

describe('fake GCP: Compute API through the client library', () => {
  let fake: FakeGcp;
  let pool: InMemoryHostPool;
  let clock: ManualClock;
  let c: ComputeClients;
  let project: string;
  const suite = fakeGcpPerTest(Array.from({ length: 30 }, (_, i) => `127.0.2.${i + 1}`), { pageSize: 5 }, (s) => ({ fake, pool, clock, c, project } = s));

  async function waitOp(o: IOperation, zone: string | null = Z): Promise<IOperation> {
    const [done] = zone === null
      ? await c.globalOperations.wait({ project, operation: o.name ?? '' })
      : await c.zoneOperations.wait({ project, zone, operation: o.name ?? '' });
    return done;
  }

  describe('instances', () => {
    it('insert: the operation is DONE and the instance runs with the host\'s address, its labels and Spot scheduling', async () => {
      const o = opOf(await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('ray-c1-w1', Z, { scheduling: { provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE' } }) }));
      assert.equal(o.operationType, 'insert');
      assert.equal((await waitOp(o)).status, 'DONE');
      const [inst] = await c.instances.get({ project, zone: Z, instance: 'ray-c1-w1' });
      assert.equal(inst.status, 'RUNNING');
      assert.equal(inst.networkInterfaces?.[0]?.networkIP, '127.0.2.1');
      assert.equal(inst.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP, '127.0.2.1');
      assert.equal(inst.labels?.['ray-cluster-name'], 'c1');
      assert.match(inst.machineType ?? '', /\/zones\/us-central1-a\/machineTypes\/n1-standard-2$/);
      assert.deepEqual([inst.scheduling?.provisioningModel, inst.scheduling?.instanceTerminationAction, inst.scheduling?.automaticRestart], ['SPOT', 'DELETE', false]);
      assert.equal(inst.serviceAccounts?.[0]?.email, '123456789012-compute@developer.gserviceaccount.com');
    });

    it('the host is handed the ssh-keys metadata, labels and the metadata server at boot', async () => {
      await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('ray-c1-w1', Z) });
      await fake.idle();
      assert.equal(pool.boots.length, 1);
      assert.deepEqual(pool.boots[0]?.sshKeys, ['ubuntu:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests raylaunch']);
      assert.equal(pool.boots[0]?.labels['ray-cluster-name'], 'c1');
      assert.equal(pool.boots[0]?.metadataHost, fake.metadataHost);
    });

    it('the lifecycle moves with the clock: PROVISIONING → STAGING → RUNNING, STOPPING → TERMINATED, start, suspend, delete', async () => {
      await suite.restart({ bootDelayMs: 10_000, stopDelayMs: 4_000, deleteDelayMs: 2_000 });
      const status = async (): Promise<string | null | undefined> => (await c.instances.get({ project, zone: Z, instance: 'n1' }))[0].status;
      await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('n1', Z) });
      assert.equal(await status(), 'PROVISIONING');
      clock.advance(5_000);
      assert.equal(await status(), 'STAGING');
      clock.advance(5_000);
      assert.equal(await status(), 'RUNNING');
      await c.instances.stop({ project, zone: Z, instance: 'n1' });
      assert.equal(await status(), 'STOPPING');
      clock.advance(4_000);
      assert.equal(await status(), 'TERMINATED');
      await fake.idle();
      assert.deepEqual(pool.released, ['127.0.2.1']);
      await c.instances.start({ project, zone: Z, instance: 'n1' });
      assert.equal(await status(), 'PROVISIONING');
      clock.advance(10_000);
      assert.equal(await status(), 'RUNNING');
      await c.instances.suspend({ project, zone: Z, instance: 'n1' });
      clock.advance(4_000);
      assert.equal(await status(), 'SUSPENDED');
      await c.instances.resume({ project, zone: Z, instance: 'n1' });
      clock.advance(10_000);
      assert.equal(await status(), 'RUNNING');
      await c.instances.delete({ project, zone: Z, instance: 'n1' });
      clock.advance(2_000);
      await assert.rejects(c.instances.get({ project, zone: Z, instance: 'n1' }), (e: unknown) => {
        const err = gceErrorOf(e);
        assert.deepEqual([err.status, err.reason], [404, 'notFound']);
        assert.match(err.message, /instances\/n1' was not found/);
        return true;
      });
    });

    it('bulkInsert: one call makes count instances named by the pattern, numbering on after the ones that exist', async () => {
      const bulk = (count: number): Promise<unknown> => c.instances.bulkInsert({ project, zone: Z, bulkInsertInstanceResourceResource: { count, minCount: count, namePattern: 'ray-c1-w-####', instanceProperties: instanceProperties() } });
      const o = opOf(await bulk(10) as [{ latestResponse: unknown }]);
      assert.equal(o.operationType, 'bulkInsert');
      assert.equal(o.instancesBulkInsertOperationMetadata?.perLocationStatus?.[`zones/${Z}`]?.createdVmCount, 10);
      await bulk(2);
      assert.equal(fake.callsOf('instances.bulkInsert').length, 2);
      const names = [];
      for await (const i of c.instances.listAsync({ project, zone: Z })) names.push(i.name);
      assert.deepEqual(names, Array.from({ length: 12 }, (_, i) => `ray-c1-w-${String(i + 1).padStart(4, '0')}`));
    });

    it('bulkInsert: perInstanceProperties names instances; minCount below count launches what fits', async () => {
      await c.instances.bulkInsert({ project, zone: Z, bulkInsertInstanceResourceResource: { count: 2, perInstanceProperties: { 'ray-a': {}, 'ray-b': {} }, instanceProperties: instanceProperties() } });
      await c.instances.get({ project, zone: Z, instance: 'ray-b' });
      fake.faults.setCapacity(Z, 3);
      const o = opOf(await c.instances.bulkInsert({ project, zone: Z, bulkInsertInstanceResourceResource: { count: 5, minCount: 2, namePattern: 'w-##', instanceProperties: instanceProperties() } }));
      const s = (await waitOp(o)).instancesBulkInsertOperationMetadata?.perLocationStatus?.[`zones/${Z}`];
      assert.deepEqual([s?.targetVmCount, s?.createdVmCount, s?.failedToCreateVmCount], [5, 3, 2]);
    });

    it('requestId: a repeated call gets the first call\'s operation back and launches nothing more', async () => {
      const requestId = '3f1c6a4e-0b1d-4c2e-9f3a-1234567890ab';
      const req = { project, zone: Z, requestId, bulkInsertInstanceResourceResource: { count: 3, namePattern: 'r-###', instanceProperties: instanceProperties() } };
      const first = opOf(await c.instances.bulkInsert(req));
      const again = opOf(await c.instances.bulkInsert(req));
      assert.equal(again.name, first.name);
      assert.equal(fake.cloud.instances.size, 3);
      assert.equal(fake.callsOf('instances.bulkInsert')[1]?.query.requestId, requestId);
      await assert.rejects(c.instances.insert({ project, zone: Z, requestId: 'not-a-uuid', instanceResource: instanceBody('x1', Z) }), /requestId/);
    });

    it('aggregatedList pages at the page size and filters by label and status over every zone', async () => {
      for (const zone of ['us-central1-a', 'us-central1-b', 'us-central1-c']) {
        await c.instances.bulkInsert({ project, zone, bulkInsertInstanceResourceResource: { count: 4, namePattern: `c1-${zone.slice(-1)}-#`, instanceProperties: instanceProperties() } });
      }
      await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('other', Z, { labels: { 'ray-cluster-name': 'c2' } }) });
      await c.instances.stop({ project, zone: 'us-central1-b', instance: 'c1-b-1' });
      const seen: string[] = [];
      for await (const [scope, list] of c.instances.aggregatedListAsync({ project, filter: '(labels.ray-cluster-name = c1) AND (status = RUNNING)' })) {
        for (const i of list.instances ?? []) seen.push(`${scope}/${i.name ?? ''}`);
      }
      assert.equal(seen.length, 11);
      assert.ok(!seen.includes('zones/us-central1-b/c1-b-1'));
      assert.ok(seen.includes('zones/us-central1-c/c1-c-4'));
      assert.equal(fake.callsOf('instances.aggregatedList').length, 3);
      const stopped = [];
      for await (const [, list] of c.instances.aggregatedListAsync({ project, filter: 'labels.ray-cluster-name = c1 AND status = TERMINATED' })) stopped.push(...(list.instances ?? []).map((i) => i.name));
      assert.deepEqual(stopped, ['c1-b-1']);
      await assert.rejects(c.instances.list({ project, zone: Z, filter: '(labels.x = ' }), /filter/);
    });

    it('getGuestAttributes reports the host\'s own host key under hostkeys/, only with enable-guest-attributes', async () => {
      await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('k1', Z) });
      const [ga] = await c.instances.getGuestAttributes({ project, zone: Z, instance: 'k1', queryPath: 'hostkeys/' });
      const key = pool.hostKeys({ hostId: '127.0.2.1', privateIp: '127.0.2.1', publicIp: '127.0.2.1' })[0];
      assert.deepEqual(ga.queryValue?.items?.map((i) => [i.namespace, i.key, i.value]), [['hostkeys', key?.keyType, key?.key]]);
      await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('k2', Z, { metadata: { items: [] } }) });
      await assert.rejects(c.instances.getGuestAttributes({ project, zone: Z, instance: 'k2', queryPath: 'hostkeys/' }), /Guest attributes are disabled/);
    });
  });

  describe('what GCE refuses', () => {
    const refused: [string, () => Promise<unknown>, RegExp][] = [
      ['a short machine type name in insert (Ray\'s configs write them)', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('x', Z, { machineType: 'n1-standard-2' }) }), /resource\.machineType.*n1-standard-2/],
      ['a short disk type name in insert', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('x', Z, { disks: [{ boot: true, initializeParams: { sourceImage: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts', diskType: 'pd-ssd' } }] }) }), /diskType.*pd-ssd/],
      ['a short accelerator type name in insert', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('x', Z, { guestAccelerators: [{ acceleratorType: 'nvidia-tesla-t4', acceleratorCount: 1 }], scheduling: { onHostMaintenance: 'TERMINATE' } }) }), /acceleratorType.*nvidia-tesla-t4/],
      ['a machine type URL in bulkInsert\'s instanceProperties (INTERNAL_ERROR, as documented)', () => c.instances.bulkInsert({ project, zone: Z, bulkInsertInstanceResourceResource: { count: 1, namePattern: 'b-#', instanceProperties: instanceProperties({ machineType: `zones/${Z}/machineTypes/n1-standard-2` }) } }), /INTERNAL_ERROR/],
      ['Ray\'s default type name as an instance name', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('ray_head_default', Z) }), /resource\.name.*ray_head_default/],
      ['a label value with dots and capitals', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('x', Z, { labels: { 'ray-user-node-type': 'ray.head.Default' } }) }), /Label value 'ray\.head\.Default' violates format constraints/],
      ['GPUs with live migration', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('x', Z, { guestAccelerators: [{ acceleratorType: `zones/${Z}/acceleratorTypes/nvidia-tesla-t4`, acceleratorCount: 1 }], scheduling: { onHostMaintenance: 'MIGRATE' } }) }), /do not support live migration/],
      ['Spot with automatic restart', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('x', Z, { scheduling: { provisioningModel: 'SPOT', automaticRestart: true } }) }), /cannot be automatically restarted/],
      ['an image family that does not exist', () => c.instances.insert({ project, zone: Z, instanceResource: instanceBody('x', Z, { disks: [{ boot: true, initializeParams: { sourceImage: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-1404-lts' } }] }) }), /ubuntu-1404-lts' was not found/],
      ['a name already in use', async () => { await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('dup', Z) }); return c.instances.insert({ project, zone: Z, instanceResource: instanceBody('dup', Z) }); }, /instances\/dup' already exists/],
    ];
    for (const [what, call, message] of refused) {
      it(`refuses ${what}`, async () => {
        await assert.rejects(call(), message);
        assert.equal(fake.cloud.instances.size, what === 'a name already in use' ? 1 : 0);
      });
    }

    it('scheduling as a list (Ray\'s shape) is refused at the JSON front end; the client library sends {} in its place', async () => {
      const body = { ...instanceBody('x', Z), scheduling: [{ preemptible: true }] };
      const token = (await userAuth(fake).getAccessToken()) ?? '';
      const res = await fetch(`${fake.endpoint}/compute/v1/projects/${project}/zones/${Z}/instances`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 400);
      const err = (await res.json()) as { error: { status: string; message: string } };
      assert.equal(err.error.status, 'INVALID_ARGUMENT');
      assert.match(err.error.message, /Proto field is not repeating, cannot start list/);
      assert.equal(fake.cloud.instances.size, 0);
      // The library drops the list silently: the instance is launched on demand, preemptible lost. The provider must
      // convert Ray's list itself; no answer from GCE would tell it.
      await c.instances.insert({ project, zone: Z, instanceResource: body as never });
      assert.deepEqual(fake.callsOf('instances.insert').at(-1)?.body, { ...JSON.parse(JSON.stringify(fake.callsOf('instances.insert').at(-1)?.body)), scheduling: {} });
      assert.equal((await c.instances.get({ project, zone: Z, instance: 'x' }))[0].scheduling?.preemptible, false);
    });
  });

  describe('catalog, project and firewalls', () => {
    it('machineTypes.get gives CPUs, memory and built-in accelerators', async () => {
      const [n1] = await c.machineTypes.get({ project, zone: Z, machineType: 'n1-standard-8' });
      assert.deepEqual([n1.guestCpus, n1.memoryMb], [8, 30720]);
      const [a2] = await c.machineTypes.get({ project, zone: Z, machineType: 'a2-highgpu-1g' });
      assert.deepEqual(a2.accelerators?.map((a) => [a.guestAcceleratorType, a.guestAcceleratorCount]), [['nvidia-tesla-a100', 1]]);
      await assert.rejects(c.machineTypes.get({ project, zone: Z, machineType: 'n9-huge' }), /was not found/);
      const all = [];
      for await (const m of c.machineTypes.listAsync({ project, zone: Z, filter: 'name = e2-*' })) all.push(m.name);
      assert.equal(all.length, 8);
    });

    it('images.getFromFamily resolves ubuntu-os-cloud\'s LTS family to its newest image', async () => {
      const [img] = await c.images.getFromFamily({ project: 'ubuntu-os-cloud', family: 'ubuntu-2404-lts-amd64' });
      assert.equal(img.name, 'ubuntu-2404-noble-amd64-v20261118');
      assert.equal(img.status, 'READY');
      await assert.rejects(c.images.getFromFamily({ project: 'ubuntu-os-cloud', family: 'ubuntu-9999-lts' }), /was not found/);
    });

    it('projects.get shows common metadata (OS Login enforced) and the default service account', async () => {
      await suite.restart({ osLogin: true });
      const [p] = await c.projects.get({ project });
      assert.deepEqual(p.commonInstanceMetadata?.items?.map((i) => [i.key, i.value]), [['enable-oslogin', 'TRUE']]);
      assert.equal(p.defaultServiceAccount, '123456789012-compute@developer.gserviceaccount.com');
      await assert.rejects(c.projects.get({ project: 'someone-elses' }), /Permission denied/);
    });

    it('zones and regions: every zone of the region, paged; quotas with limit and usage', async () => {
      const zones = [];
      for await (const z of c.zones.listAsync({ project, filter: 'region = us-central1' })) zones.push(z.name);
      assert.deepEqual(zones, ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f']);
      fake.faults.setQuota('CPUS', 24, 'us-central1');
      await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('q1', Z) });
      const [r] = await c.regions.get({ project, region: 'us-central1' });
      assert.deepEqual(r.quotas?.filter((q) => q.metric === 'CPUS').map((q) => [q.limit, q.usage]), [[24, 2]]);
    });

    it('firewalls: insert with a global operation, get, list by filter, a second insert of the name is 409, delete', async () => {
      const rule = { name: 'ray-c1-ssh', network: 'global/networks/default', direction: 'INGRESS', sourceRanges: ['203.0.113.7/32'], targetTags: ['ray-c1'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] };
      const o = opOf(await c.firewalls.insert({ project, firewallResource: rule }));
      assert.equal(o.zone ?? '', '');
      assert.equal((await waitOp(o, null)).status, 'DONE');
      const [got] = await c.firewalls.get({ project, firewall: 'ray-c1-ssh' });
      assert.deepEqual([got.sourceRanges, got.targetTags, got.allowed?.[0]?.ports], [['203.0.113.7/32'], ['ray-c1'], ['22']]);
      await assert.rejects(c.firewalls.insert({ project, firewallResource: rule }), /already exists/);
      const names = [];
      for await (const f of c.firewalls.listAsync({ project, filter: 'name = ray-c1-*' })) names.push(f.name);
      assert.deepEqual(names, ['ray-c1-ssh']);
      await c.firewalls.delete({ project, firewall: 'ray-c1-ssh' });
      await assert.rejects(c.firewalls.get({ project, firewall: 'ray-c1-ssh' }), /was not found/);
    });
  });
});
