// Each injectable fault of the fake GCP, seen through the real client library as the provider will see it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'mocha';
import { DUMMY_USER, newEd25519HostKey, type FakeGcp, type InMemoryHostPool, type ManualClock } from '../../fakes/gcp/index.js';
import { instanceBody, instanceProperties, opOf, type IOperation } from '../../helpers/gcp-bodies.js';
import { computeClients, fakeGcpPerTest, gceErrorOf, userAuth, type ComputeClients } from '../../helpers/gcp-env.js';

const Z = 'us-central1-a';

describe('fake GCP: injected faults', () => {
  let fake: FakeGcp;
  let clock: ManualClock;
  let pool: InMemoryHostPool;
  let c: ComputeClients;
  let project: string;
  const suite = fakeGcpPerTest(Array.from({ length: 12 }, (_, i) => `127.0.3.${i + 1}`), {}, (s) => ({ fake, clock, pool, c, project } = s));

  const bulk = (zone: string, count: number, minCount = count, machineType = 'n1-standard-4'): Promise<IOperation> =>
    c.instances.bulkInsert({ project, zone, bulkInsertInstanceResourceResource: { count, minCount, namePattern: `w-${zone.slice(-1)}-###`, instanceProperties: instanceProperties({ machineType }) } }).then(opOf);

  it('zone exhaustion: the operation ends in ZONE_RESOURCE_POOL_EXHAUSTED (503) there, the next zone launches', async () => {
    fake.faults.setCapacity(Z, 0);
    const o = await bulk(Z, 3);
    const [done] = await c.zoneOperations.wait({ project, zone: Z, operation: o.name ?? '' });
    assert.equal(done.status, 'DONE');
    assert.equal(done.error?.errors?.[0]?.code, 'ZONE_RESOURCE_POOL_EXHAUSTED');
    assert.equal(done.httpErrorStatusCode, 503);
    assert.equal(fake.cloud.instances.size, 0);
    const ok = await bulk('us-central1-b', 3);
    assert.equal(ok.error ?? undefined, undefined);
    assert.equal(fake.cloud.instances.size, 3);
    fake.faults.exhaustedWithDetails = true;
    assert.equal((await bulk(Z, 1)).error?.errors?.[0]?.code, 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS');
  });

  it('a host pool with too few free hosts for minCount is zone exhaustion too', async () => {
    assert.equal((await bulk(Z, 13, 13)).error?.errors?.[0]?.code, 'ZONE_RESOURCE_POOL_EXHAUSTED');
    assert.equal((await bulk(Z, 13, 1)).instancesBulkInsertOperationMetadata?.perLocationStatus?.[`zones/${Z}`]?.createdVmCount, 12);
  });

  it('quota: QUOTA_EXCEEDED (403) in the operation names the metric, limit and region; GPUs count against their own', async () => {
    fake.faults.setQuota('CPUS', 10, 'us-central1');
    assert.equal((await bulk(Z, 2)).error ?? undefined, undefined);
    const o = await bulk('us-central1-b', 1);
    const e = o.error?.errors?.[0];
    assert.equal(e?.code, 'QUOTA_EXCEEDED');
    assert.equal(o.httpErrorStatusCode, 403);
    assert.match(e?.message ?? '', /Quota 'CPUS' exceeded\.\s+Limit: 10\.0 in region us-central1\./);
    assert.deepEqual([e?.errorDetails?.[0]?.quotaInfo?.metricName, e?.errorDetails?.[0]?.quotaInfo?.limit], ['compute.googleapis.com/cpus', 10]);
    // Another region's quota is its own.
    assert.equal((await bulk('us-west1-a', 1)).error ?? undefined, undefined);
    fake.faults.setQuota('NVIDIA_T4_GPUS', 1, 'us-central1');
    const gpu = { guestAccelerators: [{ acceleratorType: 'nvidia-tesla-t4', acceleratorCount: 2 }], scheduling: { onHostMaintenance: 'TERMINATE' }, machineType: 'n1-standard-1' };
    const g = await c.instances.bulkInsert({ project, zone: 'us-central1-c', bulkInsertInstanceResourceResource: { count: 1, namePattern: 'g-#', instanceProperties: instanceProperties(gpu) } }).then(opOf);
    assert.match(g.error?.errors?.[0]?.message ?? '', /Quota 'NVIDIA_T4_GPUS' exceeded/);
  });

  it('auth: 401 for an injected failure, a revoked principal, and a refresh token the token endpoint does not know', async () => {
    fake.faults.failNext({ status: 401, method: 'instances.list' });
    await assert.rejects(c.instances.list({ project, zone: Z }), (e: unknown) => {
      assert.deepEqual([gceErrorOf(e).status, gceErrorOf(e).reason], [401, 'authError']);
      return true;
    });
    await c.instances.list({ project, zone: Z });
    fake.faults.revoke(DUMMY_USER.email);
    await assert.rejects(c.instances.list({ project, zone: Z }), (e: unknown) => gceErrorOf(e).status === 401);
    const stranger = computeClients(fake, userAuth(fake, { refreshToken: 'not-a-known-token' }));
    try {
      await assert.rejects(stranger.instances.list({ project, zone: Z }), /invalid_grant/);
    } finally {
      await stranger.close();
    }
  });

  it('403 forbidden for one principal only, and 403 accessNotConfigured naming the API while it is not enabled', async () => {
    fake.faults.failNext({ status: 403, principal: 'someone@example.com' });
    await c.instances.list({ project, zone: Z });
    fake.faults.failNext({ status: 403, principal: DUMMY_USER.email, method: 'instances.bulkInsert' });
    await assert.rejects(bulk(Z, 1), (e: unknown) => gceErrorOf(e).reason === 'forbidden');
    fake.faults.apiDisabled = true;
    await assert.rejects(c.instances.list({ project, zone: Z }), (e: unknown) => {
      const err = gceErrorOf(e);
      assert.deepEqual([err.status, err.reason, err.details?.[0]?.reason, err.details?.[0]?.metadata?.service], [403, 'accessNotConfigured', 'SERVICE_DISABLED', 'compute.googleapis.com']);
      assert.match(err.message, /Compute Engine API has not been used in project 123456789012 before or it is disabled/);
      return true;
    });
  });

  it('throttling: 429 rateLimitExceeded for the next calls of one method, then normal answers', async () => {
    fake.faults.throttle(2, 'instances.list');
    await c.instances.get({ project, zone: Z, instance: 'none' }).catch(() => undefined);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(c.instances.list({ project, zone: Z }), (e: unknown) => {
        assert.deepEqual([gceErrorOf(e).status, gceErrorOf(e).reason], [429, 'rateLimitExceeded']);
        return true;
      });
    }
    await c.instances.list({ project, zone: Z });
    assert.deepEqual(fake.callsOf('instances.list').map((x) => x.status), [429, 429, 200]);
    assert.deepEqual(fake.callsOf('instances.get').map((x) => x.status), [404]);
  });

  it('a 503 after the call took effect: a retry with the same requestId gets the operation, not a second launch', async () => {
    fake.faults.failNext({ status: 503, method: 'instances.bulkInsert', afterApplying: true });
    const req = { project, zone: Z, requestId: '7d0f5c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f', bulkInsertInstanceResourceResource: { count: 2, namePattern: 'r-#', instanceProperties: instanceProperties() } };
    await assert.rejects(c.instances.bulkInsert(req), (e: unknown) => gceErrorOf(e).status === 503);
    const o = opOf(await c.instances.bulkInsert(req));
    assert.equal(o.operationType, 'bulkInsert');
    assert.equal(fake.cloud.instances.size, 2);
  });

  it('an operation that stays RUNNING: get says RUNNING, wait is held until it is DONE', async () => {
    fake.faults.slowOperation(90_000, { method: 'instances.bulkInsert' });
    const o = await bulk(Z, 2);
    assert.equal(o.status, 'RUNNING');
    const [polled] = await c.zoneOperations.get({ project, zone: Z, operation: o.name ?? '' });
    assert.equal(polled.status, 'RUNNING');
    const held = once(fake.cloud, 'waiting');
    const waited = c.zoneOperations.wait({ project, zone: Z, operation: o.name ?? '' });
    await held;
    clock.advance(90_000);
    const [done] = await waited;
    assert.equal(done.status, 'DONE');
    assert.equal(done.instancesBulkInsertOperationMetadata?.perLocationStatus?.[`zones/${Z}`]?.createdVmCount, 2);
  });

  it('operations go PENDING → RUNNING → DONE with the clock (operationPendingMs, operationDelayMs)', async () => {
    await suite.restart({ operationPendingMs: 1_000, operationDelayMs: 2_000 });
    const o = await bulk(Z, 1);
    const status = async (): Promise<unknown> => (await c.zoneOperations.get({ project, zone: Z, operation: o.name ?? '' }))[0].status;
    assert.equal(o.status, 'PENDING');
    clock.advance(1_000);
    assert.equal(await status(), 'RUNNING');
    clock.advance(2_000);
    assert.equal(await status(), 'DONE');
  });

  it('operations.wait answers RUNNING after two minutes of the fake\'s clock, as GCE does', async () => {
    fake.faults.slowOperation(600_000);
    const o = await bulk(Z, 1);
    const held = once(fake.cloud, 'waiting');
    const waited = c.zoneOperations.wait({ project, zone: Z, operation: o.name ?? '' });
    await held;
    clock.advance(120_000);
    assert.equal((await waited)[0].status, 'RUNNING');
  });

  it('a list that lags a new instance: aggregatedList leaves it out for N calls while get finds it', async () => {
    fake.faults.listLag = 2;
    await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('late', Z) });
    const names = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const [, l] of c.instances.aggregatedListAsync({ project })) out.push(...(l.instances ?? []).map((i) => i.name ?? ''));
      return out;
    };
    assert.deepEqual(await names(), []);
    assert.equal((await c.instances.get({ project, zone: Z, instance: 'late' }))[0].status, 'RUNNING');
    assert.deepEqual(await names(), []);
    assert.deepEqual(await names(), ['late']);
  });

  it('guest attributes that report another host key than the host serves', async () => {
    await c.instances.insert({ project, zone: Z, instanceResource: instanceBody('h1', Z) });
    const forged = newEd25519HostKey();
    fake.faults.reportHostKey('h1', `${forged.keyType} ${forged.key}`);
    const [ga] = await c.instances.getGuestAttributes({ project, zone: Z, instance: 'h1', queryPath: 'hostkeys/' });
    const real = pool.hostKeys({ hostId: '127.0.3.1', privateIp: '127.0.3.1', publicIp: '127.0.3.1' })[0];
    assert.deepEqual(ga.queryValue?.items?.map((i) => i.value), [forged.key]);
    assert.notEqual(forged.key, real?.key);
  });
});
