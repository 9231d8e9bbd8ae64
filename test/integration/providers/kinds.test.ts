import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { ProviderConfigError } from '../../../providers/errors.js';
import { createProvider, PROVIDER_KINDS, providerKind, type ProviderContext } from '../../../providers/index.js';
import { cleansUpCluster, holdsFailedHosts, preparesCluster } from '../../../providers/provider.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { PROVIDER_TYPES } from '../../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'rl-kinds-'));
const ctx = (o: Partial<ProviderContext> = {}): ProviderContext => ({ clusterName: 'k', stateDir: dir, nodeEnv: {}, entry: () => '/nowhere.js', ...o });
const local = applyDefaults({ cluster_name: 'k', provider: { type: 'local', head_ip: '10.0.0.1', worker_ips: ['10.0.0.2'], external_head_ip: '198.51.100.1' }, auth: { ssh_user: 'u' } });

describe('provider kinds: what differs between provider types, in one place', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every provider type the config accepts has a descriptor', () => {
    assert.deepEqual(Object.keys(PROVIDER_KINDS).sort(), [...PROVIDER_TYPES].sort());
  });

  const KINDS: [string, { reachedOverSsh: boolean; installsNode: boolean; hostPool: boolean }][] = [
    ['process', { reachedOverSsh: false, installsNode: false, hostPool: false }],
    ['local', { reachedOverSsh: true, installsNode: false, hostPool: true }],
    ['aws', { reachedOverSsh: true, installsNode: true, hostPool: false }],
    ['gcp', { reachedOverSsh: true, installsNode: true, hostPool: false }],
  ];
  for (const [type, want] of KINDS) {
    it(`${type}: ${want.reachedOverSsh ? 'reached over SSH' : 'processes on this machine'}, ${want.installsNode ? 'Node.js installed when missing' : 'Node.js the owner\'s'}${want.hostPool ? ', a pool of hosts' : ''}`, () => {
      const k = providerKind(type);
      assert.deepEqual({ reachedOverSsh: k.reachedOverSsh, installsNode: k.installsNode, hostPool: k.hostPool !== undefined }, want);
    });
  }

  it('a gcp cluster loads its provider (the client library only now), which prepares the cluster and cleans up after it', async () => {
    const config = applyDefaults({ cluster_name: 'k', provider: { type: 'gcp', region: 'us-west1', availability_zone: 'us-west1-a', project_id: 'p' } });
    const p = await createProvider(config, ctx());
    assert.ok(preparesCluster(p));
    assert.ok(cleansUpCluster(p));
    await (p as unknown as { close(): Promise<void> }).close();
  });

  it('a gcp cluster without project_id is a config error naming the key', async () => {
    const config = applyDefaults({ cluster_name: 'k', provider: { type: 'gcp', region: 'us-west1', availability_zone: 'us-west1-a' } });
    await assert.rejects(createProvider(config, ctx()), (e: unknown) => e instanceof Error && e.name === 'ProviderConfigError' && /provider\.project_id is not set/.test(e.message));
  });

  it('the head of a gcp cluster gets gcloud\'s Compute endpoint variable, and neither the metadata host nor credentials', () => {
    const env = {
      CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: 'http://10.9.0.1:8080/compute/v1/', GCE_METADATA_HOST: '10.9.0.1:8081', CLOUDSDK_AUTH_TOKEN_HOST: 'http://10.9.0.1:8080/token',
      GOOGLE_APPLICATION_CREDENTIALS: '/home/me/key.json', CLOUDSDK_CONFIG: '/home/me/.config/gcloud', HOME: '/home/me',
    };
    assert.deepEqual(providerKind('gcp').headEnv?.(env), { CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: 'http://10.9.0.1:8080/compute/v1/' });
  });

  it('an aws cluster loads its provider (the SDK only now), which prepares the cluster and cleans up after it', async () => {
    const config = applyDefaults({ cluster_name: 'k', provider: { type: 'aws', region: 'us-west-2' } });
    const p = await createProvider(config, ctx());
    assert.ok(preparesCluster(p));
    assert.ok(cleansUpCluster(p));
    (p as unknown as { close(): void }).close();
  });

  it('the head of an aws cluster gets the AWS endpoint variables of this machine, and nothing else of its environment', () => {
    const env = {
      AWS_ENDPOINT_URL: 'http://10.9.0.1:4566', AWS_ENDPOINT_URL_EC2: 'http://10.9.0.1:1', AWS_ENDPOINT_URL_IAM: 'http://10.9.0.1:2', AWS_ENDPOINT_URL_STS: 'http://10.9.0.1:3',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 't', AWS_PROFILE: 'p', AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_S3: 'http://x', HOME: '/root',
    };
    assert.deepEqual(providerKind('aws').headEnv?.(env), {
      AWS_ENDPOINT_URL: 'http://10.9.0.1:4566', AWS_ENDPOINT_URL_EC2: 'http://10.9.0.1:1', AWS_ENDPOINT_URL_IAM: 'http://10.9.0.1:2', AWS_ENDPOINT_URL_STS: 'http://10.9.0.1:3',
    });
    assert.equal(providerKind('local').headEnv, undefined);
  });

  it('an unknown provider type is a config error', () => {
    assert.throws(() => providerKind('azure'), ProviderConfigError);
  });

  it('the local pool: the hosts the config names, and its file on the head', () => {
    assert.deepEqual(providerKind('local').hostPool?.(local), { workers: ['10.0.0.2'], stateFile: 'local-pool.json' });
  });

  it('a local provider lists its head host with both addresses, wherever it runs, and holds failed hosts', async () => {
    for (const onHead of [false, true]) {
      const p = await createProvider(local, ctx({ onHead }));
      const heads = (await p.listNodes()).map((n) => [n.id, n.kind, n.internalIp, n.externalIp]);
      assert.deepEqual(heads, [['10.0.0.1', 'head', '10.0.0.1', '198.51.100.1']], `onHead ${onHead}`);
      assert.ok(holdsFailedHosts(p));
      assert.ok(!preparesCluster(p));
    }
  });
});
