// The fake metadata server: what google-auth-library and a node's agent ask it, told apart by source address.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { GoogleAuth } from 'google-auth-library';
import { describe, it } from 'mocha';
import { DUMMY_USER, FakeGcp, type ManualClock } from '../../fakes/gcp/index.js';
import { instanceBody } from '../../helpers/gcp-bodies.js';
import { computeClients, fakeGcpPerTest, gceErrorOf, isolateGcpEnv, metadataAuth, serviceAccountKeyAuth, type ComputeClients } from '../../helpers/gcp-env.js';

const Z = 'us-central1-a';
const HEAD_SA = 'ray-head@fake-project.iam.gserviceaccount.com';
const COMPUTE = 'https://www.googleapis.com/auth/compute';

/** A GET to the metadata server from a chosen loopback address (the instance's own, or none's). */
function md(fake: FakeGcp, path: string, opts: { from?: string; flavor?: boolean } = {}): Promise<{ status: number; body: string; etag?: string; flavor?: string }> {
  const [host = '', port = ''] = fake.metadataHost.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path: `/computeMetadata/v1/${path}`, localAddress: opts.from ?? '127.0.0.1', headers: opts.flavor === false ? {} : { 'Metadata-Flavor': 'Google' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), etag: res.headers.etag, flavor: res.headers['metadata-flavor'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fake GCP: metadata server', () => {
  let fake: FakeGcp;
  let clock: ManualClock;
  let cli: ComputeClients;
  let project: string;
  // The first host is 127.0.0.1, so this test process asks the metadata server as that instance.
  fakeGcpPerTest(['127.0.0.1', '127.0.4.2'], { serviceAccounts: [HEAD_SA] }, (s) => ({ fake, clock, c: cli, project } = s));

  const launchHead = (over: Parameters<typeof instanceBody>[2] = {}): Promise<unknown> =>
    cli.instances.insert({ project, zone: Z, instanceResource: instanceBody('ray-c1-head', Z, { serviceAccounts: [{ email: HEAD_SA, scopes: [COMPUTE] }], ...over }) });

  it('never binds a metadata address: it refuses before listening', async () => {
    await assert.rejects(FakeGcp.start({ host: '169.254.169.254' }), /never binds a metadata address/);
    await assert.rejects(FakeGcp.start({ metadata: { host: 'metadata.google.internal' } }), /never binds a metadata address/);
  });

  it('in the isolated environment google-auth-library finds no credentials and no project of this machine\'s', async () => {
    const auth = new GoogleAuth({ scopes: [COMPUTE] });
    await assert.rejects(auth.getClient(), /Could not load the default credentials/);
    await assert.rejects(auth.getProjectId());
    assert.equal(fake.metadata.calls.length, 0);
  });

  it('requires Metadata-Flavor: Google, answers with it, and knows only instances\' addresses', async () => {
    await launchHead();
    assert.equal((await md(fake, 'project/project-id', { flavor: false })).status, 403);
    const ok = await md(fake, 'project/project-id');
    assert.deepEqual([ok.status, ok.body, ok.flavor], [200, 'fake-project', 'Google']);
    assert.equal((await md(fake, 'instance/name')).body, 'ray-c1-head');
    assert.equal((await md(fake, 'instance/zone')).body, 'projects/123456789012/zones/us-central1-a');
    assert.equal((await md(fake, 'instance/attributes/enable-guest-attributes')).body, 'TRUE');
    assert.equal((await md(fake, 'project/project-id', { from: '127.0.4.9' })).status, 404);
    assert.deepEqual(fake.metadata.calls.map((c) => c.instance), ['ray-c1-head', 'ray-c1-head', 'ray-c1-head', 'ray-c1-head', 'ray-c1-head', undefined]);
  });

  it('google-auth-library on the head gets its service account\'s token through GCE_METADATA_HOST; the call log tells it from the CLI', async () => {
    await launchHead();
    const undo = isolateGcpEnv({ metadataHost: fake.metadataHost });
    const auth = metadataAuth();
    const head = computeClients(fake, auth);
    try {
      assert.equal(await auth.getProjectId(), 'fake-project');
      const [inst] = await head.instances.get({ project, zone: Z, instance: 'ray-c1-head' });
      assert.equal(inst.status, 'RUNNING');
      await head.instances.bulkInsert({ project, zone: Z, bulkInsertInstanceResourceResource: { count: 2, namePattern: 'w-#', instanceProperties: { machineType: 'n1-standard-1', disks: [{ boot: true, initializeParams: { sourceImage: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts' } }], networkInterfaces: [{}] } } });
    } finally {
      await head.close();
      undo();
    }
    const byWho = (m: string): (string | undefined)[] => fake.callsOf(m).map((c) => c.principal);
    assert.deepEqual(byWho('instances.insert'), [DUMMY_USER.email]);
    assert.deepEqual(byWho('instances.get'), [HEAD_SA]);
    assert.deepEqual(byWho('instances.bulkInsert'), [HEAD_SA]);
    assert.notEqual(fake.callsOf('instances.insert')[0]?.bearer, fake.callsOf('instances.get')[0]?.bearer);
    assert.ok(fake.metadata.calls.some((c) => c.path.endsWith('/service-accounts/default/token') && c.instance === 'ray-c1-head' && c.status === 200));
  });

  it('a service-account key file: its self-signed JWT is accepted as that account, one signed by another key is not', async () => {
    const key = fake.createServiceAccountKey('ci-runner@fake-project.iam.gserviceaccount.com');
    const sa = computeClients(fake, serviceAccountKeyAuth(key));
    const other = fake.createServiceAccountKey('other@fake-project.iam.gserviceaccount.com');
    const forged = computeClients(fake, serviceAccountKeyAuth({ ...key, private_key: other.private_key }));
    try {
      await sa.instances.list({ project, zone: Z });
      await assert.rejects(forged.instances.list({ project, zone: Z }), (e: unknown) => gceErrorOf(e).status === 401);
    } finally {
      await sa.close();
      await forged.close();
    }
    assert.deepEqual(fake.callsOf('instances.list').map((c) => [c.principal, c.status]), [['ci-runner@fake-project.iam.gserviceaccount.com', 200], [undefined, 401]]);
    assert.equal(fake.callsOf('oauth2.token').length, 0);
  });

  it('a token whose scopes do not cover Compute is refused (403 insufficientPermissions)', async () => {
    await launchHead({ serviceAccounts: [{ email: HEAD_SA, scopes: ['https://www.googleapis.com/auth/devstorage.read_only'] }] });
    const token = JSON.parse((await md(fake, 'instance/service-accounts/default/token')).body) as { access_token: string; token_type: string };
    assert.equal(token.token_type, 'Bearer');
    const res = await fetch(`${fake.endpoint}/compute/v1/projects/${project}/zones/${Z}/instances`, { headers: { authorization: `Bearer ${token.access_token}` } });
    assert.equal(res.status, 403);
    assert.equal(gceErrorOf(new Error(await res.text())).reason, 'insufficientPermissions');
  });

  it('an instance without a service account has no token', async () => {
    await launchHead({ serviceAccounts: [] });
    assert.equal((await md(fake, 'instance/service-accounts/default/token')).status, 404);
    assert.equal((await md(fake, 'instance/service-accounts/')).body, '\n');
  });

  it('instance/preempted with wait_for_change is held until preemption turns it TRUE; the instance then stops', async () => {
    await launchHead({ scheduling: { provisioningModel: 'SPOT' } });
    const now = await md(fake, 'instance/preempted');
    assert.equal(now.body, 'FALSE');
    const held = once(fake.cloud, 'waiting');
    const changed = md(fake, `instance/preempted?wait_for_change=true&last_etag=${now.etag ?? ''}`);
    await held;
    fake.preempt('ray-c1-head');
    assert.equal((await changed).body, 'TRUE');
    assert.equal((await cli.instances.get({ project, zone: Z, instance: 'ray-c1-head' }))[0].status, 'STOPPING');
    clock.advance(30_000);
    assert.equal((await cli.instances.get({ project, zone: Z, instance: 'ray-c1-head' }))[0].status, 'TERMINATED');
    const ops = [];
    for await (const o of cli.zoneOperations.listAsync({ project, zone: Z, filter: 'operationType = compute.instances.preempted' })) ops.push(o.targetLink);
    assert.equal(ops.length, 1);
    assert.match(ops[0] ?? '', /instances\/ray-c1-head$/);
  });

  it('a Spot instance with instanceTerminationAction DELETE is gone after preemption; wait_for_change times out unchanged', async () => {
    await launchHead({ scheduling: { provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE' } });
    const held = once(fake.cloud, 'waiting');
    const unchanged = md(fake, 'instance/preempted?wait_for_change=true&timeout_sec=5');
    await held;
    clock.advance(5_000);
    assert.equal((await unchanged).body, 'FALSE');
    fake.preempt('ray-c1-head', { inMs: 1_000 });
    clock.advance(1_000);
    await assert.rejects(cli.instances.get({ project, zone: Z, instance: 'ray-c1-head' }), (e: unknown) => gceErrorOf(e).status === 404);
  });

  it('guest attributes the instance writes through the metadata server are read by getGuestAttributes', async () => {
    await launchHead();
    const [host = '', port = ''] = fake.metadataHost.split(':');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host, port: Number(port), method: 'PUT', path: '/computeMetadata/v1/instance/guest-attributes/raylaunch/ready', localAddress: '127.0.0.1', headers: { 'Metadata-Flavor': 'Google' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end('yes');
    });
    assert.equal(status, 200);
    const [ga] = await cli.instances.getGuestAttributes({ project, zone: Z, instance: 'ray-c1-head', variableKey: 'raylaunch/ready' });
    assert.equal(ga.variableValue, 'yes');
  });
});
