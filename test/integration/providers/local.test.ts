import assert from 'node:assert/strict';
import { after, describe, it } from 'mocha';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapacityError, ProviderConfigError } from '../../../providers/errors.js';
import { FilePoolStore, LocalProvider, MemoryPoolStore } from '../../../providers/local/index.js';
import { providerConformance } from './conformance.js';

const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.9.0.${i + 2}`);

function provider(o: { hosts?: number; now?: () => number } = {}) {
  return new LocalProvider({ clusterName: `c${Math.random()}`, headIp: '10.9.0.1', workerIps: ips(o.hosts ?? 8), store: new MemoryPoolStore(), now: o.now });
}

// The pool in memory; the same suite with the pool in its file, and the autoscaler setting the hosts up over SSH,
// is test/integration/providers/local-hosts.test.ts.
providerConformance('local (host pool in memory)', async () => ({ provider: provider(), cleanup: async () => undefined }), { noCrash: true });

describe('local provider', () => {
  it('hands out each host once and says so when the pool is exhausted', async () => {
    const p = provider({ hosts: 2 });
    await p.launch({ requestId: 'a', nodeType: 't', kind: 'worker', count: 2 });
    await assert.rejects(p.launch({ requestId: 'b', nodeType: 't', kind: 'worker', count: 1 }), (e: unknown) => e instanceof CapacityError && /all 2 of its hosts are in use/.test(e.message) && /provider\.worker_ips/.test(e.hint ?? ''));
    assert.deepEqual((await p.listNodes()).map((n) => n.id), ['10.9.0.2', '10.9.0.3']);
  });

  it('lists a host it handed out as running: it is a machine that is up (setting it up is the autoscaler\'s work)', async () => {
    const p = provider();
    await p.launch({ requestId: 'a', nodeType: 't', kind: 'worker', count: 1 });
    const [n] = await p.listNodes();
    assert.deepEqual([n?.id, n?.status, n?.internalIp], ['10.9.0.2', 'running', '10.9.0.2']);
  });

  it('keeps a host whose setup failed out of the pool until its cool-down has passed', async () => {
    let now = 1_000;
    const p = provider({ hosts: 1, now: () => now });
    await p.launch({ requestId: 'a', nodeType: 't', kind: 'worker', count: 1 });
    await p.releaseFailed(['10.9.0.2']);
    assert.deepEqual(await p.listNodes(), [], 'a failed host is not listed');
    await assert.rejects(p.launch({ requestId: 'b', nodeType: 't', kind: 'worker', count: 1 }), CapacityError);
    await p.terminate(['10.9.0.2']);
    await assert.rejects(p.launch({ requestId: 'b2', nodeType: 't', kind: 'worker', count: 1 }), CapacityError, 'terminate does not end a cool-down');
    now += 60_000;
    await p.launch({ requestId: 'c', nodeType: 't', kind: 'worker', count: 1 });
    assert.equal((await p.listNodes()).length, 1);
  });

  it('hands a terminated host out again at once', async () => {
    const p = provider({ hosts: 1 });
    await p.launch({ requestId: 'a', nodeType: 't', kind: 'worker', count: 1 });
    await p.terminate(['10.9.0.2']);
    await p.launch({ requestId: 'b', nodeType: 't', kind: 'worker', count: 1 });
    assert.deepEqual((await p.listNodes()).map((n) => [n.id, n.requestId]), [['10.9.0.2', 'b']]);
  });

  it('refuses a config that lists the head among the workers', () => {
    assert.throws(() => new LocalProvider({
      clusterName: 'c', headIp: '10.9.0.2', workerIps: ['10.9.0.2'], store: new MemoryPoolStore(),
    }), /worker_ips contains the head's address/);
  });

  it('lists the head host as the running head when it runs on the head', async () => {
    const p = new LocalProvider({
      clusterName: 'c', headIp: '10.9.0.1', workerIps: ips(2), store: new MemoryPoolStore(), head: { nodeType: 'h' },
    });
    assert.deepEqual((await p.listNodes()).map((n) => [n.id, n.kind, n.status]), [['10.9.0.1', 'head', 'running']]);
  });

  it('gives the head the address this machine reaches it at (external_head_ip) beside its private one', async () => {
    const p = new LocalProvider({
      clusterName: 'c', headIp: '10.9.0.1', externalHeadIp: '203.0.113.7', workerIps: ips(2), store: new MemoryPoolStore(), head: { nodeType: 'h' },
    });
    await p.launch({ requestId: 'w', nodeType: 't', kind: 'worker', count: 1 });
    assert.deepEqual((await p.listNodes()).map((n) => [n.id, n.internalIp, n.externalIp]), [['10.9.0.1', '10.9.0.1', '203.0.113.7'], ['10.9.0.2', '10.9.0.2', undefined]]);
  });
});

describe('local provider with per-type hosts (node_config.worker_ips)', () => {
  it('a type with its own hosts gets only those; other types use the whole pool', async () => {
    const p = new LocalProvider({
      clusterName: 'c', headIp: '10.9.0.1', workerIps: ips(4), typeHosts: { gpu: ['10.9.0.5'] }, store: new MemoryPoolStore(),
    });
    await p.launch({ requestId: 'g', nodeType: 'gpu', kind: 'worker', count: 1 });
    await assert.rejects(p.launch({ requestId: 'g2', nodeType: 'gpu', kind: 'worker', count: 1 }), (e: unknown) => e instanceof CapacityError && /available_node_types\.gpu\.node_config\.worker_ips/.test(e.hint ?? ''));
    await p.launch({ requestId: 'c', nodeType: 'cpu', kind: 'worker', count: 3 });
    const byType = Object.fromEntries((await p.listNodes()).map((n) => [n.id, n.nodeType]));
    assert.deepEqual(byType, { '10.9.0.2': 'cpu', '10.9.0.3': 'cpu', '10.9.0.4': 'cpu', '10.9.0.5': 'gpu' });
  });
});

describe('the host pool file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-pool-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const CASES: [string, (path: string) => void, 'read' | 'write', RegExp][] = [
    ['a pool file that is no file cannot be read: a config error naming it', (p) => mkdirSync(p), 'read', /cannot read .*pool-1: EISDIR/],
    ['a pool file that is no file cannot be written: a config error naming it', (p) => mkdirSync(p), 'write', /cannot write .*pool-2: EISDIR/],
    ['a damaged pool file says how to recover', (p) => writeFileSync(p, '{'), 'read', /is damaged \(not JSON\)/],
  ];
  CASES.forEach(([name, make, op, message], i) => {
    it(name, async () => {
      const path = join(dir, `pool-${i + 1}`);
      make(path);
      const store = new FilePoolStore(path);
      await assert.rejects(op === 'read' ? store.read() : store.write({}), (e: unknown) => e instanceof ProviderConfigError && message.test(e.message));
    });
  });
});
