// The autoscaler sets up the nodes it launched when they are reached over SSH (here a host pool in memory and a
// node setup the test finishes by hand, on a fake clock): what the local provider used to do on its own.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { LocalProvider, MemoryPoolStore } from '../../../../providers/local/index.js';
import { applyDefaults } from '../../../../src/config/defaults.js';
import { Autoscaler, type ClusterFacts } from '../../../../src/head/autoscaler/loop.js';
import type { NodeSetup } from '../../../../src/head/autoscaler/node-setup.js';
import { NodeUpdateError } from '../../../../src/updater/errors-update.js';
import type { CloudNode, LaunchRequest, NodeProvider } from '../../../../providers/provider.js';
import { until } from '../../../helpers/until.js';

const config = (hosts: number) => applyDefaults({
  cluster_name: 'c', provider: { type: 'local', head_ip: '10.0.0.1', worker_ips: Array.from({ length: hosts }, (_, i) => `10.0.0.${i + 2}`) },
  auth: { ssh_user: 'root' }, max_workers: hosts,
  available_node_types: { head: { resources: { CPU: 0 } }, w: { resources: { CPU: 1 }, min_workers: 1, max_workers: hosts } },
  head_node_type: 'head',
});

describe('node setup by the autoscaler (host pool, fake clock)', () => {
  let now: number;
  let facts: ClusterFacts;
  let setups: Map<string, { resolve(): void; reject(e: Error): void }>;
  let log: string[];
  let made: Autoscaler[];
  const setup: NodeSetup = {
    setUp: (node, onStep) => new Promise<void>((resolve, reject) => {
      log.push(`setup ${node.id}`);
      onStep('syncing-files');
      setups.set(node.id, { resolve, reject });
    }),
    stop: (node) => { log.push(`stop ${node.id}`); return Promise.resolve(); },
    logOf: (node) => `/state/logs/setup-${node.id}.log`,
  };
  const make = (hosts: number) => {
    const c = config(hosts);
    const provider = new LocalProvider({
      clusterName: 'c', headIp: '10.0.0.1', workerIps: c.provider.type === 'local' ? c.provider.worker_ips : [], store: new MemoryPoolStore(), head: { nodeType: 'head' },
      now: () => now, failedCooldownMs: 60_000,
    });
    const a = new Autoscaler({ provider, config: c, clock: { now: () => now }, facts: () => facts, drain: () => undefined, launchHash: () => 'h', nodeSetup: setup, stopBeforeTerminate: true });
    made.push(a);
    return { a, provider };
  };
  const register = (id: string) => facts.nodes.push({ nodeId: id, nodeType: 'w', kind: 'worker', alive: true, total: { CPU: 1 }, available: { CPU: 1 }, lastUsedAt: now, registeredAt: now });
  const settle = () => new Promise((r) => setImmediate(r));

  beforeEach(() => {
    now = 1_000_000;
    setups = new Map();
    log = [];
    made = [];
    facts = { nodes: [{ nodeId: '10.0.0.1', nodeType: 'head', kind: 'head', alive: true, total: {}, available: {}, lastUsedAt: now, registeredAt: now }], demands: [], placementGroups: [], requested: [] };
  });
  afterEach(() => { for (const a of made) a.stop(); });

  it('a launched host is set up at once; status shows its step while that runs, and it runs once its agent registers', async () => {
    const { a } = make(2);
    await a.tick();
    assert.deepEqual(log, ['setup 10.0.0.2'], 'set up in the tick that launched it');
    assert.deepEqual(a.view().launching, [{ nodeId: '10.0.0.2', nodeType: 'w', status: 'syncing-files' }]);
    setups.get('10.0.0.2')?.resolve();
    register('10.0.0.2');
    now += 1000;
    await a.tick();
    assert.deepEqual(a.view().launching, []);
    assert.deepEqual(log, ['setup 10.0.0.2'], 'nothing more launched, set up or stopped');
  });

  it('a host whose setup failed: an event with its step and exit code, the host stopped and kept out for its cool-down, then tried again', async () => {
    const { a, provider } = make(1);
    await a.tick();
    setups.get('10.0.0.2')?.reject(new NodeUpdateError('10.0.0.2', '10.0.0.2', 'setting-up', '`make` failed on 10.0.0.2 with exit code 3', { commandExitCode: 3 }));
    await settle();
    const failed = a.events.at(-1);
    assert.deepEqual(failed && { ...failed, at: 0, seq: 0 }, {
      at: 0, seq: 0, kind: 'setup-failed', nodeId: '10.0.0.2', step: 'setting-up', exitCode: 3, error: '`make` failed on 10.0.0.2 with exit code 3',
      log: '/state/logs/setup-10.0.0.2.log', message: 'setting up 10.0.0.2 failed: `make` failed on 10.0.0.2 with exit code 3 (log: /state/logs/setup-10.0.0.2.log)',
    });
    assert.equal(a.view().launching[0]?.status, 'update-failed');
    now += 1000;
    await a.tick();
    assert.deepEqual(log, ['setup 10.0.0.2', 'stop 10.0.0.2'], 'what the failed setup started is stopped');
    assert.deepEqual((await provider.listNodes()).map((n) => n.id), ['10.0.0.1'], 'the failed host is not listed');
    assert.deepEqual(a.events.slice(-3).map((e) => e.kind), ['terminate', 'launch', 'backoff'], 'its replacement finds the pool empty');
    now += 60_000;
    await a.tick();
    assert.deepEqual(log.at(-1), 'setup 10.0.0.2', 'after its cool-down the host is tried again');
  });

  it('a node no longer needed while it is set up is stopped once its setup has ended', async () => {
    const { a, provider } = make(1);
    await a.tick();
    const down = a.terminateWorkers(false);
    await settle();
    assert.deepEqual(log, ['setup 10.0.0.2'], 'not stopped while its setup runs');
    setups.get('10.0.0.2')?.resolve();
    assert.deepEqual(await down, ['10.0.0.2']);
    assert.deepEqual(log, ['setup 10.0.0.2', 'stop 10.0.0.2']);
    assert.deepEqual((await provider.listNodes()).map((n) => n.id), ['10.0.0.1']);
  });

  it('a node whose agent never registers within node_start_timeout_s of its setup is given up on and stopped', async () => {
    const { a } = make(1);
    await a.tick();
    setups.get('10.0.0.2')?.resolve();
    now += 300_001;
    await a.tick();
    assert.ok(a.events.some((e) => e.message === 'terminate 10.0.0.2: never registered'), a.events.map((e) => e.message).join('\n'));
    assert.ok(log.includes('stop 10.0.0.2'));
  });

  it('a launched instance that boots is set up once a listing shows it running, without waiting for the next full tick', async () => {
    // A cloud whose instances stay pending (no address) until the test lets them run, on real timers.
    let boots = true;
    const launched: CloudNode[] = [];
    const head: CloudNode = { id: '10.0.0.1', nodeType: 'head', kind: 'head', status: 'running', internalIp: '10.0.0.1', tags: {} };
    const cloud: NodeProvider = {
      listNodes: () => Promise.resolve([head, ...launched.map((n): CloudNode => ({ ...n, status: boots ? 'pending' : 'running', ...(boots ? {} : { internalIp: `10.0.1.${n.id.slice(2)}` }) }))]),
      launch: (req: LaunchRequest) => {
        for (let i = 0; i < req.count; i++) launched.push({ id: `i-${launched.length + 1}`, nodeType: req.nodeType, kind: 'worker', status: 'pending', requestId: req.requestId, tags: req.tags ?? {} });
        return Promise.resolve();
      },
      terminate: () => Promise.resolve(),
    };
    const c = config(1);
    // The full tick is an hour apart: only the boot poll can notice the instance running.
    const a = new Autoscaler({ provider: cloud, config: { ...c, raylaunch: { ...c.raylaunch, autoscaler_interval_s: 3600 } }, clock: { now: () => Date.now() }, facts: () => facts, drain: () => undefined, launchHash: () => 'h', nodeSetup: setup });
    made.push(a);
    a.start();
    await until('the launch', 5_000, () => (launched.length === 1 ? true : undefined));
    assert.deepEqual(log, [], 'a pending instance is not set up');
    boots = false;
    await until('the setup of the running instance', 10_000, () => (log.length > 0 ? log : undefined));
    assert.deepEqual(log, ['setup i-1'], a.events.map((e) => e.message).join('\n'));
  });
});
