import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { CapacityError } from '../../providers/errors.js';
import { LocalProvider, MemoryPoolStore } from '../../providers/local/index.js';
import type { CloudNode } from '../../providers/provider.js';
import { providerConformance } from './conformance.js';

const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.9.0.${i + 2}`);

function provider(o: { hosts?: number; setUp?: (n: CloudNode) => Promise<void>; now?: () => number; stopped?: string[] } = {}) {
  return new LocalProvider({
    clusterName: `c${Math.random()}`, headIp: '10.9.0.1', workerIps: ips(o.hosts ?? 8), store: new MemoryPoolStore(),
    setUp: o.setUp ?? (() => Promise.resolve()), stop: (n) => { o.stopped?.push(n.id); return Promise.resolve(); }, now: o.now,
  });
}

// Setup is a no-op here; the same suite against real hosts over SSH is test/providers/local-hosts.test.ts.
providerConformance('local (host pool in memory)', async () => ({ provider: provider(), cleanup: async () => undefined }), { noCrash: true });

describe('local provider', () => {
  it('hands out each host once and says so when the pool is exhausted', async () => {
    const p = provider({ hosts: 2 });
    await p.launch({ requestId: 'a', nodeType: 't', kind: 'worker', count: 2 });
    await assert.rejects(p.launch({ requestId: 'b', nodeType: 't', kind: 'worker', count: 1 }), (e: unknown) => e instanceof CapacityError && /all 2 of its hosts are in use/.test(e.message) && /provider\.worker_ips/.test(e.hint ?? ''));
    assert.deepEqual((await p.listNodes()).map((n) => n.id), ['10.9.0.2', '10.9.0.3']);
  });

  it('lists a node as pending while it is set up and running after', async () => {
    let finish: () => void = () => undefined;
    const p = provider({ setUp: () => new Promise<void>((r) => { finish = r; }) });
    await p.launch({ requestId: 'a', nodeType: 't', kind: 'worker', count: 1 });
    const [n] = await p.listNodes();
    assert.equal(n?.status, 'pending');
    assert.equal(n?.tags['raylaunch-node-status'], 'setting-up');
    finish();
    await p.settled(n?.id ?? '');
    assert.equal((await p.listNodes())[0]?.status, 'running');
  });

  it('keeps a host whose setup failed out of the pool until its cool-down has passed', async () => {
    let now = 1_000;
    const stopped: string[] = [];
    const p = provider({ hosts: 1, setUp: () => Promise.reject(new Error('exit 3')), now: () => now, stopped });
    await p.launch({ requestId: 'a', nodeType: 't', kind: 'worker', count: 1 });
    await assert.rejects(p.settled('10.9.0.2'), /exit 3/);
    assert.deepEqual(await p.listNodes(), [], 'a failed host is not listed');
    assert.deepEqual(stopped, ['10.9.0.2'], 'whatever the failed setup started is stopped');
    await assert.rejects(p.launch({ requestId: 'b', nodeType: 't', kind: 'worker', count: 1 }), CapacityError);
    now += 60_000;
    await p.launch({ requestId: 'c', nodeType: 't', kind: 'worker', count: 1 });
    assert.equal((await p.listNodes()).length, 1);
  });

  it('refuses a config that lists the head among the workers', () => {
    assert.throws(() => new LocalProvider({
      clusterName: 'c', headIp: '10.9.0.2', workerIps: ['10.9.0.2'], store: new MemoryPoolStore(), setUp: () => Promise.resolve(), stop: () => Promise.resolve(),
    }), /worker_ips contains the head's address/);
  });

  it('lists the head host as the running head when it runs on the head', async () => {
    const p = new LocalProvider({
      clusterName: 'c', headIp: '10.9.0.1', workerIps: ips(2), store: new MemoryPoolStore(), head: { nodeType: 'h' }, setUp: () => Promise.resolve(), stop: () => Promise.resolve(),
    });
    assert.deepEqual((await p.listNodes()).map((n) => [n.id, n.kind, n.status]), [['10.9.0.1', 'head', 'running']]);
  });
});

describe('local provider with per-type hosts (node_config.worker_ips)', () => {
  it('a type with its own hosts gets only those; other types use the whole pool', async () => {
    const p = new LocalProvider({
      clusterName: 'c', headIp: '10.9.0.1', workerIps: ips(4), typeHosts: { gpu: ['10.9.0.5'] }, store: new MemoryPoolStore(),
      setUp: () => Promise.resolve(), stop: () => Promise.resolve(),
    });
    await p.launch({ requestId: 'g', nodeType: 'gpu', kind: 'worker', count: 1 });
    await assert.rejects(p.launch({ requestId: 'g2', nodeType: 'gpu', kind: 'worker', count: 1 }), (e: unknown) => e instanceof CapacityError && /available_node_types\.gpu\.node_config\.worker_ips/.test(e.hint ?? ''));
    await p.launch({ requestId: 'c', nodeType: 'cpu', kind: 'worker', count: 3 });
    const byType = Object.fromEntries((await p.listNodes()).map((n) => [n.id, n.nodeType]));
    assert.deepEqual(byType, { '10.9.0.2': 'cpu', '10.9.0.3': 'cpu', '10.9.0.4': 'cpu', '10.9.0.5': 'gpu' });
  });
});
