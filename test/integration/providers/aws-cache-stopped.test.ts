// provider.cache_stopped_nodes on the AWS provider, through the real SDK against the fake AWS: idle workers are
// stopped, a later launch starts them again before it creates anything, spot workers are always terminated.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { createProvider } from '../../../providers/index.js';
import type { AwsProvider } from '../../../providers/aws/index.js';
import { stopsNodes } from '../../../providers/provider.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { FakeAws, InMemoryHostPool } from '../../fakes/aws/index.js';
import { DUMMY_CREDENTIALS, isolateAwsEnv } from '../../helpers/aws-env.js';

const HASH = 'raylaunch-launch-hash';
const config = (cache: boolean): ClusterConfig => applyDefaults({
  cluster_name: 'rl-cache', max_workers: 10,
  provider: { type: 'aws', region: 'us-west-2', availability_zone: 'us-west-2a', cache_stopped_nodes: cache },
  raylaunch: { ssh_ingress_cidr: '10.9.0.0/24' },
  head_node_type: 'head',
  available_node_types: {
    head: { resources: { CPU: 0 }, node_config: { InstanceType: 'm5.large' } },
    od: { resources: { CPU: 2 }, max_workers: 5, node_config: { InstanceType: 'm5.large' } },
    spot: { resources: { CPU: 2 }, max_workers: 5, node_config: { InstanceType: 'm5.large', InstanceMarketOptions: { MarketType: 'spot' } } },
  },
});

describe('cache_stopped_nodes on the AWS provider (fake AWS, through the SDK)', function () {
  this.timeout(120_000);
  let restoreEnv: () => void;
  let fake: FakeAws;
  let dir: string;
  let provider: AwsProvider | undefined;

  const load = async (cache: boolean): Promise<AwsProvider> => {
    const c = config(cache);
    provider = await createProvider(c, { clusterName: c.cluster_name, stateDir: dir, nodeEnv: {}, entry: () => '/none.js', onHead: true }) as AwsProvider;
    await provider.prepare(c);
    return provider;
  };
  const calls = (action: string) => fake.calls.filter((c) => c.action === action);
  const states = async (p: AwsProvider) => Object.fromEntries((await p.listNodes()).map((n) => [n.id, `${n.status} ${n.requestId ?? ''}`]));

  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    fake = await FakeAws.start({ pool: new InMemoryHostPool(Array.from({ length: 10 }, (_, i) => `127.0.5.${i + 1}`)) });
    process.env.AWS_ENDPOINT_URL = fake.endpoint;
    process.env.AWS_ACCESS_KEY_ID = DUMMY_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = DUMMY_CREDENTIALS.secretAccessKey;
    dir = mkdtempSync(join(tmpdir(), 'rl-aws-cache-'));
  });
  afterEach(async () => {
    provider?.close();
    provider = undefined;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('idle workers are stopped, and a launch starts them again (under its request) before it runs any new instance', async () => {
    const p = await load(true);
    assert.ok(stopsNodes(p));
    await p.launch({ requestId: 'r1', nodeType: 'od', kind: 'worker', count: 2, tags: { [HASH]: 'h1' } });
    const first = (await p.listNodes()).filter((n) => n.kind === 'worker').map((n) => n.id);
    assert.equal(first.length, 2);
    await p.stop(first);
    assert.equal(calls('StopInstances').length, 1);
    assert.equal(calls('TerminateInstances').length, 0);
    assert.deepEqual(Object.values(await states(p)), ['stopped r1', 'stopped r1']);

    await p.launch({ requestId: 'r2', nodeType: 'od', kind: 'worker', count: 3, tags: { [HASH]: 'h1' } });
    assert.deepEqual(calls('StartInstances').map((c) => c.params['InstanceId.1'] !== undefined), [true]);
    const runs = calls('RunInstances').filter((c) => c.status === 200);
    assert.equal(runs.length, 2, 'one RunInstances for r1, one for the one worker r2 still needed');
    assert.equal(runs[1]?.params.MaxCount, '1');
    const after = await states(p);
    for (const id of first) assert.match(after[id] ?? '', /^(pending|running) r2$/, JSON.stringify(after));
    assert.equal(Object.values(after).filter((s) => / r2$/.test(s)).length, 3);

    // The same request again (a retry) starts and creates nothing more.
    await p.launch({ requestId: 'r2', nodeType: 'od', kind: 'worker', count: 3, tags: { [HASH]: 'h1' } });
    assert.equal(calls('StartInstances').length, 1);
    assert.equal(calls('RunInstances').filter((c) => c.status === 200).length, 2);
  });

  it('a stopped worker of another launch hash (outdated) is not started again', async () => {
    const p = await load(true);
    await p.launch({ requestId: 'r1', nodeType: 'od', kind: 'worker', count: 1, tags: { [HASH]: 'old' } });
    await p.stop((await p.listNodes()).map((n) => n.id));
    await p.launch({ requestId: 'r2', nodeType: 'od', kind: 'worker', count: 1, tags: { [HASH]: 'new' } });
    assert.equal(calls('StartInstances').length, 0);
    assert.equal(calls('RunInstances').filter((c) => c.status === 200).length, 2);
  });

  it('spot workers are terminated, never stopped', async () => {
    const p = await load(true);
    await p.launch({ requestId: 'r1', nodeType: 'spot', kind: 'worker', count: 2, tags: { [HASH]: 'h1' } });
    await p.stop((await p.listNodes()).map((n) => n.id));
    assert.equal(calls('StopInstances').length, 0);
    assert.equal(calls('TerminateInstances').length, 1);
    assert.deepEqual(await states(p), {});
  });

  it('without cache_stopped_nodes a launch never starts a stopped worker', async () => {
    const p = await load(false);
    await p.launch({ requestId: 'r1', nodeType: 'od', kind: 'worker', count: 1, tags: { [HASH]: 'h1' } });
    await p.stop((await p.listNodes()).map((n) => n.id));
    await p.launch({ requestId: 'r2', nodeType: 'od', kind: 'worker', count: 1, tags: { [HASH]: 'h1' } });
    assert.equal(calls('StartInstances').length, 0);
  });
});
