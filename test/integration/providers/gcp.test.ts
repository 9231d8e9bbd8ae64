// The GCP provider through the real client library against the fake GCP on loopback: loaded as `up` loads it (lazy
// import, Application Default Credentials from gcloud's file, gcloud's endpoint variable at the fake), each fault
// injected.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcpMetadata } from 'google-auth-library';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { createProvider } from '../../../providers/index.js';
import type { GcpProvider } from '../../../providers/gcp/index.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { FakeGcp, InMemoryHostPool, ManualClock, newEd25519HostKey } from '../../fakes/gcp/index.js';
import { pointCliAtFake } from '../../helpers/gcp-adc.js';
import { computeClients, isolateGcpEnv } from '../../helpers/gcp-env.js';
import { until } from '../../helpers/until.js';

// The provider is imported dynamically (as `up` loads it), so its error classes are another module instance than a
// static import here would give: errors are told apart by name, as the CLI's output does.
const isError = (name: string, check: (e: Error & { reason?: string; hint?: string }) => boolean = () => true) =>
  (e: unknown) => e instanceof Error && e.name === name && check(e as Error & { reason?: string; hint?: string });

const Z = 'us-central1-a';

describe('the GCP provider against the fake GCP, through the client library', function () {
  this.timeout(120_000);
  let restoreEnv: () => void;
  let fake: FakeGcp;
  let dir: string;
  const providers: GcpProvider[] = [];

  const config = (over: Record<string, unknown> = {}): ClusterConfig => applyDefaults({
    cluster_name: 'rl-gcp', max_workers: 20,
    provider: { type: 'gcp', region: 'us-central1', availability_zone: Z, project_id: fake.project },
    raylaunch: { ssh_ingress_cidr: '10.9.0.0/24' },
    ...over,
  });
  const load = async (c: ClusterConfig = config(), onHead = false): Promise<GcpProvider> => {
    const p = await createProvider(c, { clusterName: c.cluster_name, stateDir: dir, nodeEnv: {}, entry: () => '/none.js', onHead }) as GcpProvider;
    providers.push(p);
    return p;
  };
  const prepared = async (c: ClusterConfig = config()) => {
    const p = await load(c);
    await p.prepare(c, () => undefined);
    await p.settled();
    return p;
  };
  const worker = (requestId: string, count: number) => ({ requestId, nodeType: 'ray_worker_small', kind: 'worker' as const, count });

  before(() => { restoreEnv = isolateGcpEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    fake = await FakeGcp.start({ pool: new InMemoryHostPool(Array.from({ length: 30 }, (_, i) => `127.0.8.${i + 1}`)) });
    pointCliAtFake(fake);
    dir = mkdtempSync(join(tmpdir(), 'rl-gcp-provider-'));
  });
  afterEach(async () => {
    for (const p of providers.splice(0)) await p.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepare creates the firewall rules on the cluster tag, fills image, SSH key, head account and resources; a second prepare finds them', async () => {
    const lines: string[] = [];
    const p = await load();
    const c = await p.prepare(config(), (l) => lines.push(l));
    await p.settled();
    const head = c.available_node_types.ray_head_default;
    const w = c.available_node_types.ray_worker_small;
    // n1-standard-2: 2 vCPUs, 7.5 GB; the head defaults to CPU 0, the worker's declared CPU 2 stays.
    assert.deepEqual(head?.resources, { CPU: 0, memory: Math.floor(7680 * 1024 * 1024 * 0.7) });
    assert.equal(w?.resources.CPU, 2, 'from the machine type');
    const disk = (head?.node_config.disks as { initializeParams: { sourceImage: string } }[])[0];
    assert.match(disk?.initializeParams.sourceImage ?? '', /^projects\/ubuntu-os-cloud\/global\/images\/ubuntu-2404-/);
    assert.deepEqual(head?.node_config.serviceAccounts, [{ email: 'default', scopes: ['https://www.googleapis.com/auth/compute'] }]);
    assert.equal(w?.node_config.serviceAccounts, undefined);
    const sshKeys = (w?.node_config.metadata as { items: { key: string; value: string }[] }).items.find((i) => i.key === 'ssh-keys');
    assert.match(sshKeys?.value ?? '', /^ubuntu:ssh-ed25519 AAAA\S+ raylaunch-rl-gcp$/);
    assert.equal(statSync(c.auth.ssh_private_key ?? '').mode & 0o777, 0o600);
    const rules = [...fake.cloud.firewalls.values()].filter((f) => f.name.startsWith('raylaunch-rl-gcp-'));
    assert.deepEqual(rules.map((f) => [f.name, f.sourceRanges, f.sourceTags, f.targetTags]).sort(), [
      ['raylaunch-rl-gcp-internal', [], ['raylaunch-rl-gcp'], ['raylaunch-rl-gcp']],
      ['raylaunch-rl-gcp-ssh', ['10.9.0.0/24'], [], ['raylaunch-rl-gcp']],
    ]);
    assert.ok(lines.some((l) => /firewall rule raylaunch-rl-gcp-ssh created: SSH from 10\.9\.0\.0\/24 only/.test(l)), lines.join('\n'));
    const again: string[] = [];
    await p.prepare(config(), (l) => again.push(l));
    await p.settled();
    assert.ok(again.includes('firewall rule raylaunch-rl-gcp-ssh found'), again.join('\n'));
    // Machine types are cached in the cluster's state: the second prepare asks nothing of them.
    assert.equal(fake.callsOf('machineTypes.get').length, 1);
    // Another address replaces the SSH rule.
    await p.prepare(config({ raylaunch: { ssh_ingress_cidr: '10.9.1.0/24' } }), () => undefined);
    await p.settled();
    assert.deepEqual([...fake.cloud.firewalls.values()].find((f) => f.name === 'raylaunch-rl-gcp-ssh')?.sourceRanges, ['10.9.1.0/24']);
  });

  it('prepare resolves once GCE took both firewall inserts; their operations finish behind it, together, and settled() waits for them', async () => {
    await fake.close();
    // Operations finish only when the test moves the clock: a prepare that waited for them would never resolve.
    const clock = new ManualClock();
    fake = await FakeGcp.start({ clock, pool: new InMemoryHostPool(['127.0.8.1']), operationDelayMs: 5_000 });
    pointCliAtFake(fake);
    const held = new Set<string>();
    fake.cloud.on('waiting', (e: { operation: string }) => held.add(e.operation));
    const lines: string[] = [];
    const p = await load();
    try {
      await p.prepare(config(), (l) => lines.push(l));
      assert.equal(fake.callsOf('firewalls.insert').length, 2);
      await until('both firewall inserts held in operations.wait', 30_000, () => (held.size >= 2 ? true : undefined));
      assert.deepEqual(lines.filter((l) => l.startsWith('firewall rule')), [], 'nothing said of a rule before its operation is done');
    } finally {
      clock.advance(5_000);
    }
    await p.settled();
    assert.deepEqual(lines.filter((l) => l.startsWith('firewall rule')).map((l) => l.split(':')[0]), [
      'firewall rule raylaunch-rl-gcp-ssh created', 'firewall rule raylaunch-rl-gcp-internal created',
    ]);
  });

  it('the CLI asks no metadata server for the project: it is the config\'s (google-auth-library would otherwise look for one)', async () => {
    // A metadata server that would answer, so a lookup shows in its log instead of failing quietly.
    const saved = { host: process.env.GCE_METADATA_HOST, detection: process.env.METADATA_SERVER_DETECTION };
    // The credential named by GOOGLE_APPLICATION_CREDENTIALS, which google-auth-library loads with a project lookup.
    process.env.GOOGLE_APPLICATION_CREDENTIALS = join(process.env.CLOUDSDK_CONFIG ?? '', 'application_default_credentials.json');
    process.env.GCE_METADATA_HOST = fake.metadataHost;
    delete process.env.METADATA_SERVER_DETECTION;
    gcpMetadata.resetIsAvailableCache();
    try {
      await prepared();
      assert.ok(fake.callsOf('firewalls.insert').length > 0);
      assert.deepEqual(fake.metadata.calls.map((c) => c.path), []);
    } finally {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.GCE_METADATA_HOST = saved.host;
      process.env.METADATA_SERVER_DETECTION = saved.detection;
      gcpMetadata.resetIsAvailableCache();
    }
  });

  it('Ray\'s preemptible workers launch as preemptible (the scheduling list converted), deleted when taken back, named validly and labelled', async () => {
    const p = await prepared();
    await p.launch(worker('req-1', 2));
    const [call] = fake.callsOf('instances.bulkInsert');
    const props = (call?.body as { instanceProperties: { scheduling: Record<string, unknown>; machineType: string; labels: Record<string, string> } }).instanceProperties;
    assert.deepEqual(props.scheduling, { preemptible: true, instanceTerminationAction: 'DELETE' });
    assert.equal(props.machineType, 'n1-standard-2');
    const made = [...fake.cloud.instances.values()];
    assert.equal(made.length, 2);
    for (const i of made) {
      assert.match(i.name, /^rl-rl-gcp-ray-worker-sm-[0-9a-f]{6}-[0-9a-f]{8}-\d$/);
      assert.equal(i.scheduling.preemptible, true);
      assert.equal(i.labels['raylaunch-node-type'], 'ray_worker_small');
    }
    const nodes = await p.listNodes();
    assert.deepEqual(nodes.map((n) => [n.nodeType, n.kind, n.requestId]), [['ray_worker_small', 'worker', 'req-1'], ['ray_worker_small', 'worker', 'req-1']]);
  });

  it('with cache_stopped_nodes, a preemptible worker keeps GCE\'s default: stopped when GCE takes it back, to be started again', async () => {
    const c = config({ provider: { type: 'gcp', region: 'us-central1', availability_zone: Z, project_id: fake.project, cache_stopped_nodes: true } });
    const p = await prepared(c);
    await p.launch(worker('req-c', 1));
    const body = fake.callsOf('instances.bulkInsert')[0]?.body as { instanceProperties: { scheduling: Record<string, unknown> } };
    assert.deepEqual(body.instanceProperties.scheduling, { preemptible: true });
  });

  it('a running node is listed with its addresses and the host key its guest attributes publish', async () => {
    const p = await prepared();
    await p.launch({ requestId: 'head-1', nodeType: 'ray_head_default', kind: 'head', count: 1 });
    const [head] = await p.listNodes();
    const inst = [...fake.cloud.instances.values()][0];
    assert.ok(head && inst);
    assert.equal(head.kind, 'head');
    assert.equal(head.status, 'running');
    assert.equal(head.internalIp, inst.networkIP);
    assert.match(head.hostKey ?? '', /^ssh-ed25519 AAAA/);
    assert.equal(head.hostKey, `ssh-ed25519 ${inst.guestAttributes.get('hostkeys/ssh-ed25519') ?? ''}`);
  });

  it('guest attributes that report another key than the host serves: that reported key is the one handed out to pin (so the connection is refused)', async () => {
    const p = await prepared();
    await p.launch({ requestId: 'head-2', nodeType: 'ray_head_default', kind: 'head', count: 1 });
    const inst = [...fake.cloud.instances.values()][0];
    assert.ok(inst);
    const forged = newEd25519HostKey();
    fake.faults.reportHostKey(inst.name, `${forged.keyType} ${forged.key}`);
    const [head] = await p.listNodes();
    assert.equal(head?.hostKey, `ssh-ed25519 ${forged.key}`);
  });

  it('zone exhaustion: the next zone of the region launches; every zone exhausted is a CapacityError', async () => {
    const p = await prepared();
    fake.faults.setCapacity(Z, 0);
    await p.launch(worker('req-z', 3));
    const zones = fake.callsOf('instances.bulkInsert').map((c) => c.path.split('/zones/')[1]?.split('/')[0]);
    assert.deepEqual(zones, [Z, 'us-central1-b']);
    assert.equal((await p.listNodes()).length, 3);
    for (const z of ['us-central1-b', 'us-central1-c', 'us-central1-f']) fake.faults.setCapacity(z, 0);
    await assert.rejects(p.launch(worker('req-z2', 1)), isError('CapacityError', (e) => e.reason === 'capacity' && /us-central1-a, us-central1-b, us-central1-c, us-central1-f/.test(e.message)));
  });

  it('quota: QUOTA_EXCEEDED is a CapacityError with reason quota naming the quota', async () => {
    const p = await prepared();
    fake.faults.setQuota('CPUS', 2, 'us-central1');
    await assert.rejects(p.launch(worker('req-q', 3)), isError('CapacityError', (e) => e.reason === 'quota' && /Quota 'CPUS' exceeded/.test(e.message) && /Quotas page/.test(e.hint ?? '')));
  });

  it('auth: 401 and 403 forbidden are ProviderAuthError; no credentials at all says gcloud auth application-default login', async () => {
    const p = await prepared();
    fake.faults.failNext({ status: 403, method: 'instances.bulkInsert' });
    await assert.rejects(p.launch(worker('req-a', 1)), isError('ProviderAuthError'));
    fake.faults.failNext({ status: 401, method: 'instances.aggregatedList' });
    await assert.rejects(p.listNodes(), isError('ProviderAuthError'));
    rmSync(join(process.env.CLOUDSDK_CONFIG ?? '', 'application_default_credentials.json'));
    const none = await load();
    await assert.rejects(none.prepare(config(), () => undefined), isError('ProviderAuthError', (e) => /gcloud auth application-default login/.test(e.hint ?? '')));
  });

  it('the Compute API not enabled is a ProviderConfigError naming the API to enable; OS Login enforced is one naming the fix', async () => {
    fake.faults.apiDisabled = true;
    const p = await load();
    await assert.rejects(p.prepare(config(), () => undefined), isError('ProviderConfigError', (e) => /gcloud services enable compute\.googleapis\.com --project/.test(e.hint ?? '')));
    fake.faults.apiDisabled = false;
    fake.cloud.projectMetadata.push({ key: 'enable-oslogin', value: 'TRUE' });
    await assert.rejects(p.prepare(config(), () => undefined), isError('ProviderConfigError', (e) => /OS Login is enabled/.test(e.message) && /enable-oslogin=FALSE/.test(e.hint ?? '')));
  });

  it('throttling (429) and a 503 after the call took effect are retried under the same requestId: one launch, no duplicate', async () => {
    const p = await prepared();
    fake.faults.throttle(2, 'instances.bulkInsert');
    fake.faults.failNext({ status: 503, method: 'instances.bulkInsert', afterApplying: true });
    await p.launch(worker('req-t', 2));
    const calls = fake.callsOf('instances.bulkInsert');
    assert.equal(new Set(calls.map((c) => c.query.requestId)).size, 1, 'every repeat carries the first call\'s requestId');
    assert.equal(fake.cloud.instances.size, 2);
  });

  it('throttling that does not pass is a TransientProviderError', async () => {
    const p = await prepared();
    fake.faults.throttle(10, 'instances.bulkInsert');
    await assert.rejects(p.launch(worker('req-t2', 1)), isError('TransientProviderError'));
  });

  it('an operation held RUNNING is awaited; a list that lags a new instance still counts it, so a repeated launch makes nothing twice', async () => {
    const p = await prepared();
    fake.faults.slowOperation(200, { method: 'instances.bulkInsert' });
    fake.faults.listLag = 3;
    await p.launch(worker('req-l', 2));
    const nodes = await p.listNodes();
    assert.deepEqual(nodes.map((n) => [n.requestId, n.status]), [['req-l', 'pending'], ['req-l', 'pending']]);
    await p.launch(worker('req-l', 2));
    assert.equal(fake.cloud.instances.size, 2);
    assert.equal(fake.callsOf('instances.bulkInsert').length, 1);
  });

  it('a scale-up of 10 workers of one type is one bulkInsert', async () => {
    const p = await prepared();
    await p.launch(worker('req-10', 10));
    assert.equal(fake.callsOf('instances.bulkInsert').length, 1);
    assert.equal((await p.listNodes()).length, 10);
  });

  it('terminate deletes in parallel; cleanUp deletes the firewall rules and names what is left, stopped instances included', async () => {
    const p = await prepared();
    await p.launch(worker('req-d', 3));
    await p.launch(worker('req-s', 1));
    const nodes = await p.listNodes();
    const kept = nodes.find((n) => n.requestId === 'req-s');
    assert.ok(kept);
    await p.terminate(nodes.filter((n) => n.requestId === 'req-d').map((n) => n.id));
    assert.equal(fake.callsOf('instances.delete').length, 3);
    const zone = [...fake.cloud.instances.values()].find((i) => i.name === kept.id)?.zone ?? Z;
    const admin = computeClients(fake);
    try {
      await admin.instances.stop({ project: fake.project, zone, instance: kept.id });
    } finally {
      await admin.close();
    }
    const stopped = (await p.listNodes()).find((n) => n.id === kept.id);
    assert.ok(stopped && ['stopping', 'stopped'].includes(stopped.status));
    const left = await p.cleanUp(() => undefined);
    assert.deepEqual(left.map((l) => l.replace(/ \(.*/, '')), [`instance ${kept.id} in ${zone}`]);
    assert.equal([...fake.cloud.firewalls.values()].filter((f) => f.name.startsWith('raylaunch-rl-gcp-')).length, 0);
    await p.terminate([kept.id]);
    assert.deepEqual(await p.cleanUp(() => undefined), []);
  });

  it('a TPU node type is a clear config error', async () => {
    const c = config({ available_node_types: { ray_head_default: { resources: {}, node_config: { acceleratorType: 'v4-8', runtimeVersion: 'tpu-vm-v4-base' } } }, head_node_type: 'ray_head_default' });
    const p = await load(c);
    await assert.rejects(p.prepare(c, () => undefined), isError('ProviderConfigError', (e) => /TPU nodes are not supported yet/.test(e.message)));
  });
});
