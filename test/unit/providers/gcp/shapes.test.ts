// The GCP provider's pure parts: Ray's node_config shapes turned into the API's, valid names and labels, the
// errors GCE answers with classified, resources from the machine type, instances as nodes, credential choice.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { classifyGcpError, classifyOperationError } from '../../../../providers/gcp/errors.js';
import { hostKeyLine, toCloudNode } from '../../../../providers/gcp/instances.js';
import { bulkOutcome } from '../../../../providers/gcp/launch.js';
import { instanceNames, labelValue, requestUuid, slug } from '../../../../providers/gcp/names.js';
import { instanceProperties, schedulingObject, toApiShape } from '../../../../providers/gcp/node-config.js';
import { osLoginError } from '../../../../providers/gcp/prepare.js';
import { acceleratorName, machineResources, typeResources } from '../../../../providers/gcp/resources.js';
import { authChoice, endpointOptions } from '../../../../providers/gcp/sdk.js';
import type { GcpProviderConfig } from '../../../../src/config/types.js';

const gaxios = (status: number, reason: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(JSON.stringify({ error: { code: status, message: `m${status}`, errors: [{ reason }], ...extra } })), { status });

describe('gcp provider: Ray\'s node_config in the shape the API takes', () => {
  const CASES: [string, Record<string, unknown>, 'insert' | 'bulk', Record<string, unknown>][] = [
    ['Ray\'s scheduling list becomes one object', { scheduling: [{ preemptible: true }, { onHostMaintenance: 'TERMINATE' }] }, 'bulk', { scheduling: { preemptible: true, onHostMaintenance: 'TERMINATE' } }],
    ['a scheduling object stays as it is', { scheduling: { provisioningModel: 'SPOT' } }, 'bulk', { scheduling: { provisioningModel: 'SPOT' } }],
    ['short type names become partial URLs for insert', { machineType: 'n1-standard-2', disks: [{ boot: true, initializeParams: { diskType: 'pd-ssd' } }], guestAccelerators: [{ acceleratorType: 'nvidia-tesla-t4', acceleratorCount: 1 }] }, 'insert',
      { machineType: 'zones/us-west1-a/machineTypes/n1-standard-2', disks: [{ boot: true, initializeParams: { diskType: 'zones/us-west1-a/diskTypes/pd-ssd' } }], guestAccelerators: [{ acceleratorType: 'zones/us-west1-a/acceleratorTypes/nvidia-tesla-t4', acceleratorCount: 1 }] }],
    ['URLs become names for bulkInsert', { machineType: 'projects/p/zones/us-west1-a/machineTypes/n1-standard-2', disks: [{ initializeParams: { diskType: 'zones/us-west1-a/diskTypes/pd-ssd' } }] }, 'bulk',
      { machineType: 'n1-standard-2', disks: [{ initializeParams: { diskType: 'pd-ssd' } }] }],
    ['metadata and tags written as lists become {items}', { metadata: [{ key: 'a', value: 'b' }], tags: ['x'] }, 'bulk', { metadata: { items: [{ key: 'a', value: 'b' }] }, tags: { items: ['x'] } }],
  ];
  for (const [name, given, mode, want] of CASES) {
    it(name, () => {
      assert.deepEqual(toApiShape('t', given, mode === 'insert' ? { mode, zone: 'us-west1-a' } : { mode }), want);
    });
  }

  it('a TPU node_config is a clear error', () => {
    assert.throws(() => toApiShape('tpu', { acceleratorType: 'v4-8', runtimeVersion: 'x' }, { mode: 'bulk' }), /node type tpu is a TPU node \(acceleratorType, runtimeVersion\): TPU nodes are not supported yet/);
  });

  it('a scheduling value that is neither list nor object is a clear error', () => {
    assert.throws(() => schedulingObject('preemptible'), /node_config\.scheduling must be an object/);
  });

  const own = { labels: { 'raylaunch-cluster-name': 'c' }, metadata: { 'ssh-keys': 'ubuntu:ssh-ed25519 K', 'enable-guest-attributes': 'TRUE' }, networkTag: 'raylaunch-c', keepStopped: false };
  const SPOT: [string, Record<string, unknown>, boolean, unknown][] = [
    ['preemptible workers are deleted when GCE takes them back', { preemptible: true }, false, { preemptible: true, instanceTerminationAction: 'DELETE' }],
    ['Spot workers are deleted when GCE takes them back', { provisioningModel: 'SPOT' }, false, { provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE' }],
    ['with stopped nodes cached, Spot workers keep GCE\'s default (stopped, to start again)', { provisioningModel: 'SPOT' }, true, { provisioningModel: 'SPOT' }],
    ['with stopped nodes cached, preemptible workers keep GCE\'s default', { preemptible: true }, true, { preemptible: true }],
    ['the user\'s own termination action stays', { provisioningModel: 'SPOT', instanceTerminationAction: 'STOP' }, false, { provisioningModel: 'SPOT', instanceTerminationAction: 'STOP' }],
    ['standard VMs get no termination action', { onHostMaintenance: 'MIGRATE' }, false, { onHostMaintenance: 'MIGRATE' }],
  ];
  for (const [name, scheduling, keepStopped, want] of SPOT) {
    it(name, () => {
      assert.deepEqual(instanceProperties('w', { machineType: 'n1-standard-2', scheduling: [scheduling] }, { ...own, keepStopped }).scheduling, want);
    });
  }

  it('raylaunch\'s labels win, the user\'s ssh-keys lines are kept, the network tag is added once', () => {
    const props = instanceProperties('w', {
      labels: { team: 'ml', 'raylaunch-cluster-name': 'other' }, metadata: { items: [{ key: 'ssh-keys', value: 'me:ssh-rsa M' }, { key: 'startup-script', value: 'x' }] }, tags: { items: ['raylaunch-c', 'web'] },
    }, own);
    assert.deepEqual(props.labels, { team: 'ml', 'raylaunch-cluster-name': 'c' });
    assert.deepEqual((props.metadata as { items: unknown[] }).items, [
      { key: 'ssh-keys', value: 'me:ssh-rsa M\nubuntu:ssh-ed25519 K' }, { key: 'startup-script', value: 'x' }, { key: 'enable-guest-attributes', value: 'TRUE' },
    ]);
    assert.deepEqual(props.tags, { items: ['raylaunch-c', 'web'] });
  });
});

describe('gcp provider: names and labels GCE accepts', () => {
  const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
  const LABEL = /^[a-z0-9_-]{0,63}$/;
  for (const type of ['ray_head_default', 'ray.head.default', 'GPU Worker', '9-lives', 'x'.repeat(100)]) {
    it(`Ray's type name "${type.slice(0, 20)}" gives valid, distinct instance names and a valid label`, () => {
      const names = instanceNames('My_Cluster', type, 'as-t-1', 'us-west1-a', 0, 3);
      for (const n of names) assert.match(n, NAME);
      assert.equal(new Set(names).size, 3);
      assert.match(labelValue(type), LABEL);
    });
  }
  it('valid values stay as they are; changed ones keep apart by a hash', () => {
    assert.equal(labelValue('ray_head_default'), 'ray_head_default');
    assert.notEqual(labelValue('ray.head.default'), labelValue('ray-head-default'));
    assert.notEqual(slug('a.b', 20), slug('a_b', 20));
  });
  it('names differ by zone and attempt, so a failover call never meets the first call\'s names', () => {
    const a = instanceNames('c', 't', 'r', 'us-west1-a', 0, 1);
    assert.notDeepEqual(a, instanceNames('c', 't', 'r', 'us-west1-b', 0, 1));
    assert.notDeepEqual(a, instanceNames('c', 't', 'r', 'us-west1-a', 1, 1));
  });
  it('request UUIDs are stable, valid version-4 UUIDs, distinct per input', () => {
    const u = requestUuid('c', 'r', 'z', 0);
    assert.equal(u, requestUuid('c', 'r', 'z', 0));
    assert.notEqual(u, requestUuid('c', 'r', 'z', 1));
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('gcp provider: what GCE\'s errors mean', () => {
  const CASES: [string, unknown, string][] = [
    ['401 is auth', gaxios(401, 'authError'), 'auth'],
    ['403 forbidden is auth', gaxios(403, 'forbidden'), 'auth'],
    ['403 rateLimitExceeded is transient', gaxios(403, 'rateLimitExceeded'), 'transient'],
    ['429 is transient', gaxios(429, 'rateLimitExceeded'), 'transient'],
    ['403 accessNotConfigured is the API not enabled', gaxios(403, 'accessNotConfigured', { details: [{ reason: 'SERVICE_DISABLED', metadata: { service: 'compute.googleapis.com' } }] }), 'api-disabled'],
    ['503 may have acted', gaxios(503, 'backendError'), 'unknown-outcome'],
    ['404 is not found', gaxios(404, 'notFound'), 'not-found'],
    ['400 invalid is config', gaxios(400, 'invalid'), 'config'],
    ['a reset connection may have acted', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'unknown-outcome'],
    ['no credentials found is auth', new Error('Could not load the default credentials. Browse to …'), 'auth'],
  ];
  for (const [name, e, kind] of CASES) it(name, () => assert.equal(classifyGcpError(e).kind, kind));

  const OPS: [string, string, number, string][] = [
    ['zone exhaustion is capacity', 'ZONE_RESOURCE_POOL_EXHAUSTED', 503, 'capacity'],
    ['zone exhaustion with details is capacity', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', 503, 'capacity'],
    ['resource availability is capacity', 'RESOURCE_AVAILABILITY', 503, 'capacity'],
    ['QUOTA_EXCEEDED is quota', 'QUOTA_EXCEEDED', 403, 'quota'],
  ];
  for (const [name, code, status, kind] of OPS) {
    it(`in an operation: ${name}`, () => assert.equal(classifyOperationError({ error: { errors: [{ code, message: 'm' }] }, httpErrorStatusCode: status })?.kind, kind));
  }
  it('an operation without an error succeeded, with what it created', () => {
    assert.equal(classifyOperationError({}), undefined);
    assert.deepEqual(bulkOutcome({ instancesBulkInsertOperationMetadata: { perLocationStatus: { 'zones/a': { createdVmCount: 2 } } } }, 3), { created: 2 });
    assert.equal(bulkOutcome({ error: { errors: [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }] } }, 3).created, 0);
  });
});

describe('gcp provider: resources, nodes, credentials', () => {
  it('resources from the machine type and attached GPUs; declared keys win; the head defaults to CPU 0', () => {
    const r = machineResources({ guestCpus: 8, memoryMb: 30720, accelerators: [] }, [{ type: 'nvidia-tesla-t4', count: 2 }]);
    assert.deepEqual(r, { CPU: 8, memory: Math.floor(30720 * 1024 * 1024 * 0.7), GPU: 2, 'accelerator_type:T4': 1 });
    assert.equal(acceleratorName('nvidia-a100-80gb'), 'A100-80GB');
    assert.deepEqual(typeResources({ GPU: 1 }, r, true), { ...r, CPU: 0, GPU: 1 });
    assert.deepEqual(typeResources({ CPU: 4 }, r, true).CPU, 4);
    assert.deepEqual(typeResources({}, r, false).CPU, 8);
  });

  const inst = { name: 'n', id: '1', status: 'RUNNING', labels: { 'raylaunch-node-kind': 'head', 'raylaunch-node-type': 'ray-head-default-1234abcd' },
    metadata: { items: [{ key: 'raylaunch-node-type', value: 'ray.head.default' }, { key: 'raylaunch-request-id', value: 'R' }, { key: 'raylaunch-tags', value: '{"x":"Y.Z"}' }] },
    networkInterfaces: [{ networkIP: '10.0.0.2', accessConfigs: [{ natIP: '203.0.113.9' }] }] };
  it('a running instance whose host key is not published yet is pending, without addresses', () => {
    const n = toCloudNode(inst, { useInternalIps: false });
    assert.deepEqual([n?.status, n?.internalIp, n?.externalIp], ['pending', undefined, undefined]);
  });
  it('with its host key it runs, with both addresses; the exact type, request and tags come from the metadata', () => {
    const n = toCloudNode(inst, { useInternalIps: false, hostKey: 'ssh-ed25519 K' });
    assert.deepEqual([n?.status, n?.internalIp, n?.externalIp, n?.hostKey, n?.nodeType, n?.requestId, n?.kind, n?.tags.x], ['running', '10.0.0.2', '203.0.113.9', 'ssh-ed25519 K', 'ray.head.default', 'R', 'head', 'Y.Z']);
    assert.equal(toCloudNode(inst, { useInternalIps: true, hostKey: 'k' })?.externalIp, undefined);
  });
  const STATES: [string, string][] = [['TERMINATED', 'stopped'], ['SUSPENDED', 'stopped'], ['STOPPING', 'stopping'], ['SUSPENDING', 'stopping'], ['STAGING', 'pending']];
  for (const [gce, want] of STATES) it(`GCE's ${gce} is listed as ${want}`, () => assert.equal(toCloudNode({ ...inst, status: gce }, { useInternalIps: false })?.status, want));
  it('the ed25519 host key is pinned first, whether the agent publishes the blob or the whole line', () => {
    assert.equal(hostKeyLine([{ key: 'ssh-rsa', value: 'R' }, { key: 'ssh-ed25519', value: 'ssh-ed25519 E' }]), 'ssh-ed25519 E');
    assert.equal(hostKeyLine([]), undefined);
  });
  it('OS Login on the project is an error unless every node_config turns it off', () => {
    const on = [{ key: 'enable-oslogin', value: 'TRUE' }];
    assert.match(osLoginError(on, [{}], 'p')?.message ?? '', /OS Login is enabled in project p/);
    assert.equal(osLoginError(on, [{ metadata: { items: [{ key: 'enable-oslogin', value: 'FALSE' }] } }], 'p'), undefined);
    assert.equal(osLoginError([], [{}], 'p'), undefined);
  });

  const p = (over: Partial<GcpProviderConfig> = {}): GcpProviderConfig => ({ type: 'gcp', region: 'r', availability_zone: 'r-a', project_id: 'p', cache_stopped_nodes: false, use_internal_ips: false, ...over });
  it('credentials: ADC by default, gcloud\'s file in CLOUDSDK_CONFIG and token host honoured; gcp_credentials for the CLI', () => {
    assert.deepEqual(authChoice(p(), {}, () => false), { kind: 'adc' });
    assert.deepEqual(authChoice(p(), { CLOUDSDK_CONFIG: '/g', CLOUDSDK_AUTH_TOKEN_HOST: 'http://127.0.0.1:1/token' }, () => true), { kind: 'adc', keyFilename: '/g/application_default_credentials.json', tokenUrl: 'http://127.0.0.1:1/token' });
    assert.deepEqual(authChoice(p(), { CLOUDSDK_CONFIG: '/g', GOOGLE_APPLICATION_CREDENTIALS: '/k.json' }, () => true), { kind: 'adc' });
    assert.deepEqual(authChoice(p({ gcp_credentials: { type: 'credentials_token', credentials: 'tok' } }), {}), { kind: 'token', token: 'tok' });
    assert.throws(() => authChoice(p({ gcp_credentials: { type: 'service_account', credentials: 'not json' } }), {}), /not a service-account key/);
  });
  it('gcloud\'s endpoint override becomes host, port and protocol for the REST transport', () => {
    assert.deepEqual(endpointOptions('http://127.0.0.1:8080/compute/v1/'), { apiEndpoint: '127.0.0.1', port: 8080, protocol: 'http', fallback: true });
    assert.deepEqual(endpointOptions('https://compute.example.com/compute/v1/'), { apiEndpoint: 'compute.example.com', port: 443, protocol: 'https', fallback: true });
    assert.deepEqual(endpointOptions(undefined), { fallback: true });
  });
});
