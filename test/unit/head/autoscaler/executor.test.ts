import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { FakeProvider } from '../../../../providers/fake/index.js';
import { LocalProvider, MemoryPoolStore } from '../../../../providers/local/index.js';
import type { CloudNode, LaunchRequest } from '../../../../providers/provider.js';
import type { LaunchOrder } from '../../../../src/head/autoscaler/decide.js';
import { eachLimited, Executor, type ExecutorDeps } from '../../../../src/head/autoscaler/executor.js';
import type { NodeSetup } from '../../../../src/head/autoscaler/node-setup.js';
import type { Outcome } from '../../../../src/head/autoscaler/outcomes.js';
import { until } from '../../../helpers/until.js';

/** A fake whose launches wait until the test lets each one through, counting how many wait at once. */
class GatedProvider extends FakeProvider {
  active = 0;
  most = 0;
  readonly waiting: (() => void)[] = [];

  override async launch(req: LaunchRequest): Promise<void> {
    this.active += 1;
    this.most = Math.max(this.most, this.active);
    await new Promise<void>((r) => this.waiting.push(r));
    this.active -= 1;
    return super.launch(req);
  }
}

/** A node setup the test finishes by hand; stops are logged. */
function manualSetup() {
  const pending = new Map<string, { resolve(): void; reject(e: Error): void }>();
  const log: string[] = [];
  const setup: NodeSetup = {
    setUp: (node, onStep) => new Promise<void>((resolve, reject) => {
      onStep('waiting-for-ssh');
      pending.set(node.id, { resolve, reject });
    }),
    stop: (node) => { log.push(`stop ${node.id}`); return Promise.resolve(); },
    logOf: (node) => `/logs/setup-${node.id}.log`,
  };
  return { setup, pending, log };
}

const order = (nodeType: string, requestId: string, count = 1): LaunchOrder => ({ nodeType, count, requestId, reason: 'test' });

function executor(o: Partial<ExecutorDeps> & Pick<ExecutorDeps, 'provider'>) {
  const outcomes: Outcome[] = [];
  const drained: string[] = [];
  const e = new Executor({
    stopBeforeTerminate: false, drain: (id) => drained.push(id), revoke: () => undefined, launchTags: (t) => ({ tag: t }), maxConcurrentLaunches: () => 10,
    report: (x) => outcomes.push(x), ...o,
  });
  return { e, outcomes, drained };
}

describe('the executor: acts on decisions, reports outcomes', () => {
  it('runs launches in parallel, at most max_concurrent_launches provider calls at once', async () => {
    const provider = new GatedProvider();
    const { e, outcomes } = executor({ provider, maxConcurrentLaunches: () => 2 });
    const done = e.launch([order('a', 'r1'), order('b', 'r2'), order('c', 'r3')]);
    await until('two launches to wait at once', 2000, () => (provider.waiting.length === 2 ? true : undefined));
    assert.equal(provider.active, 2, 'the third waits for a free slot');
    provider.waiting.shift()?.();
    await until('the third launch to start', 2000, () => (provider.waiting.length === 2 ? true : undefined));
    for (const go of provider.waiting.splice(0)) go();
    await done;
    assert.equal(provider.most, 2);
    assert.deepEqual(outcomes.filter((o) => o.kind === 'launched').map((o) => o.kind === 'launched' && o.requestId).sort(), ['r1', 'r2', 'r3']);
  });

  it('lists the provider once after a tick\'s launches, and reports the new nodes', async () => {
    const provider = new FakeProvider();
    const { e, outcomes } = executor({ provider });
    const listed = await e.launch([order('a', 'r1', 2), order('b', 'r2')]);
    assert.equal(provider.calls.filter((c) => c === 'list').length, 1);
    assert.equal(listed?.length, 3);
    assert.deepEqual(outcomes.map((o) => o.kind), ['sent', 'sent', 'launched', 'launched', 'listed']);
    assert.deepEqual(provider.calls.filter((c) => c.startsWith('launch')).map((c) => c.split(' ').slice(0, 3).join(' ')), ['launch a 2', 'launch b 1']);
    assert.deepEqual([...provider.nodes.values()].map((n) => n.tags.tag), ['a', 'a', 'b'], 'each launch carries its type\'s tags');
  });

  it('a launch that fails is reported with its error, and nothing is listed when nothing was launched', async () => {
    const provider = new FakeProvider();
    provider.failNext('launch', 'capacity', 'a');
    const { e, outcomes } = executor({ provider });
    assert.equal(await e.launch([order('a', 'r1')]), undefined);
    assert.deepEqual(outcomes.map((o) => o.kind), ['sent', 'launch-failed']);
    assert.ok(!provider.calls.includes('list'));
  });

  it('after an auth error, launches still waiting for their turn are dropped, not sent', async () => {
    const provider = new FakeProvider();
    provider.failNext('launch', 'auth');
    const { e, outcomes } = executor({ provider, maxConcurrentLaunches: () => 1 });
    await e.launch([order('a', 'r1'), order('b', 'r2')]);
    assert.deepEqual(outcomes.map((o) => [o.kind, 'requestId' in o ? o.requestId : '']), [['sent', 'r1'], ['launch-failed', 'r1'], ['dropped', 'r2']]);
  });

  it('terminate drains each node and hands it to the provider', async () => {
    const provider = new FakeProvider();
    await provider.launch({ requestId: 'r', nodeType: 'a', kind: 'worker', count: 2 });
    const { e, drained } = executor({ provider });
    await e.terminate([{ id: 'a-0', reason: 'idle' }, { id: 'a-1', reason: 'idle' }], new Map());
    assert.deepEqual(drained, ['a-0', 'a-1']);
    assert.deepEqual(provider.calls.at(-1), 'terminate a-0,a-1');
  });

  describe('on a host pool', () => {
    const pool = () => new LocalProvider({ clusterName: 'c', headIp: '10.0.0.1', workerIps: ['10.0.0.2', '10.0.0.3'], store: new MemoryPoolStore(), failedCooldownMs: 60_000 });
    const nodesOf = async (p: LocalProvider) => new Map((await p.listNodes()).map((n): [string, CloudNode] => [n.id, n]));

    it('sets each node up in the background, reporting its steps and how it ended', async () => {
      const provider = pool();
      const { setup, pending } = manualSetup();
      const { e, outcomes } = executor({ provider, nodeSetup: setup, stopBeforeTerminate: true });
      const listed = await e.launch([order('w', 'r1', 2)]);
      e.setUp(listed ?? []);
      assert.deepEqual(outcomes.filter((o) => o.kind === 'setup-step').map((o) => o.kind === 'setup-step' && [o.nodeId, o.step]), [['10.0.0.2', 'waiting-for-ssh'], ['10.0.0.3', 'waiting-for-ssh']]);
      pending.get('10.0.0.2')?.resolve();
      pending.get('10.0.0.3')?.reject(new Error('exit 3'));
      await Promise.all([e.settled('10.0.0.2'), e.settled('10.0.0.3')]);
      assert.deepEqual(outcomes.filter((o) => o.kind === 'setup-done' || o.kind === 'setup-failed').map((o) => [o.kind, 'nodeId' in o ? o.nodeId : '']),
        [['setup-done', '10.0.0.2'], ['setup-failed', '10.0.0.3']]);
      const failed = outcomes.find((o) => o.kind === 'setup-failed');
      assert.equal(failed?.kind === 'setup-failed' && failed.log, '/logs/setup-10.0.0.3.log');
    });

    it('a node terminated while it is set up is stopped once its setup has ended, then handed back', async () => {
      const provider = pool();
      const { setup, pending, log } = manualSetup();
      const { e } = executor({ provider, nodeSetup: setup, stopBeforeTerminate: true });
      const listed = await e.launch([order('w', 'r1')]);
      e.setUp(listed ?? []);
      const nodes = await nodesOf(provider);
      let ended = false;
      const terminated = e.terminate([{ id: '10.0.0.2', reason: 'idle' }], nodes).then(() => { ended = true; });
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual([log, ended], [[], false], 'nothing is stopped while the setup runs');
      pending.get('10.0.0.2')?.resolve();
      await terminated;
      assert.deepEqual(log, ['stop 10.0.0.2']);
      assert.deepEqual(await provider.listNodes(), []);
    });

    it('a host whose setup failed is stopped and held out of the pool for its cool-down', async () => {
      const provider = pool();
      const { setup, log } = manualSetup();
      const { e } = executor({ provider, nodeSetup: setup, stopBeforeTerminate: true });
      await e.launch([order('w', 'r1')]);
      await e.terminate([{ id: '10.0.0.2', reason: 'setup_failed' }], await nodesOf(provider));
      assert.deepEqual(log, ['stop 10.0.0.2']);
      await provider.launch({ requestId: 'r2', nodeType: 'w', kind: 'worker', count: 1 });
      assert.deepEqual((await provider.listNodes()).map((n) => n.id), ['10.0.0.3'], 'the failed host is not handed out again yet');
    });

    it('a failed stop is reported once the nodes are handed back; one after a failed setup is not news', async () => {
      const provider = pool();
      const failing: NodeSetup = { setUp: () => Promise.resolve(), stop: (n) => Promise.reject(new Error(`unreachable ${n.id}`)), logOf: () => '' };
      const { e } = executor({ provider, nodeSetup: failing, stopBeforeTerminate: true });
      await e.launch([order('w', 'r1', 2)]);
      const nodes = await nodesOf(provider);
      await e.terminate([{ id: '10.0.0.2', reason: 'setup_failed' }], nodes);
      await assert.rejects(e.terminate([{ id: '10.0.0.3', reason: 'idle' }], nodes), /unreachable 10\.0\.0\.3/);
      assert.deepEqual(await provider.listNodes(), [], 'both were handed back');
    });

    it('without a host pool nothing is stopped first: terminating the node ends what runs there', async () => {
      const provider = new FakeProvider();
      await provider.launch({ requestId: 'r', nodeType: 'a', kind: 'worker', count: 1 });
      const { setup, log } = manualSetup();
      const { e } = executor({ provider, nodeSetup: setup, stopBeforeTerminate: false });
      await e.terminate([{ id: 'a-0', reason: 'setup_failed' }], new Map([...provider.nodes]));
      assert.deepEqual([log, provider.calls.at(-1)], [[], 'terminate a-0']);
    });
  });
});

describe('eachLimited()', () => {
  for (const [items, limit] of [[5, 2], [2, 5], [0, 3], [3, 0]] as const) {
    it(`${items} items, at most ${limit || 1} at once, each exactly once`, async () => {
      let active = 0;
      let most = 0;
      const seen: number[] = [];
      await eachLimited(Array.from({ length: items }, (_, i) => i), limit, async (i) => {
        active += 1;
        most = Math.max(most, active);
        await new Promise((r) => setImmediate(r));
        seen.push(i);
        active -= 1;
      });
      assert.deepEqual(seen.sort(), Array.from({ length: items }, (_, i) => i));
      assert.ok(most <= Math.max(1, limit), `${most} at once`);
    });
  }
});

/** A fake that can stop nodes for reuse (cache_stopped_nodes), as the AWS provider can. */
class StoppingProvider extends FakeProvider {
  async stop(ids: string[]): Promise<void> {
    this.calls.push(`stop ${ids.join(',')}`);
    for (const id of ids) {
      const n = this.nodes.get(id);
      if (n) n.status = 'stopped';
    }
  }
}

describe('the executor with cache_stopped_nodes', () => {
  const CASES: { name: string; cache: boolean; provider: () => FakeProvider; want: string[] }[] = [
    { name: 'idle workers are stopped for reuse; an outdated one and a failed setup are terminated', cache: true, provider: () => new StoppingProvider(), want: ['stop w1,w2', 'terminate w3,w4'] },
    { name: 'without cache_stopped_nodes every one is terminated', cache: false, provider: () => new StoppingProvider(), want: ['terminate w1,w2,w3,w4'] },
    { name: 'a provider that cannot stop terminates them all', cache: true, provider: () => new FakeProvider(), want: ['terminate w1,w2,w3,w4'] },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const provider = c.provider();
      const { e, drained } = executor({ provider, cacheStoppedNodes: () => c.cache });
      await e.terminate([
        { id: 'w1', reason: 'idle' }, { id: 'w2', reason: 'idle' }, { id: 'w3', reason: 'outdated' }, { id: 'w4', reason: 'setup_failed' },
      ], new Map());
      assert.deepEqual(provider.calls, c.want);
      assert.deepEqual(drained, ['w1', 'w2', 'w3', 'w4'], 'each drains first');
    });
  }
});
