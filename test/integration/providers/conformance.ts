import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'mocha';
import { CLUSTER_NAME_TAG, type CloudNode, type LaunchRequest, type NodeProvider } from '../../../providers/provider.js';

/**
 * The behaviour every NodeProvider must show, whatever it runs on. Providers are eventually consistent, so every
 * check polls until it holds or a deadline passes; no test waits unboundedly.
 */

/** A provider under test, fresh for each test, sharing nothing with other targets but the machine. */
export interface ConformanceTarget {
  provider: NodeProvider;
  /** make a node disappear behind the provider's back (crash) */
  crash?(id: string): Promise<void>;
  /** Releases everything the target started; called after every test, also after a failed one. */
  cleanup(): Promise<void>;
}

/** Tuning for slow providers; the defaults suit local ones. */
export interface ConformanceOptions {
  /** How long a check may poll before it fails (a bound for hangs, not a goal); default 30 s. */
  waitMs?: number;
  /** Set when nodes cannot vanish behind the provider's back (a host pool): the crash case is not registered. */
  noCrash?: boolean;
}

/** The tag that marks a node's cluster; the conformance suite only knows it by name. */
const CLUSTER_TAG = CLUSTER_NAME_TAG;

interface Ctx {
  /** A fresh target, cleaned up after the test. */
  target(): Promise<ConformanceTarget>;
  /** Polls `check` until it stops throwing, or rethrows its last failure at the deadline. */
  eventually<T>(check: () => Promise<T>): Promise<T>;
  /** Marks the test skipped (the provider lacks what it needs); never returns. */
  skip(): never;
}

interface Case {
  name: string;
  needsCrash?: boolean;
  run(ctx: Ctx): Promise<void>;
}

const rid = (): string => `req-${randomBytes(4).toString('hex')}`;
const worker = (requestId: string, count: number, tags?: Record<string, string>): LaunchRequest => ({ requestId, nodeType: 'cpu_small', kind: 'worker', count, tags });
const withRequest = (nodes: CloudNode[], requestId: string): CloudNode[] => nodes.filter((n) => n.requestId === requestId);
const ids = (nodes: CloudNode[]): string[] => nodes.map((n) => n.id).sort();

async function listed(p: NodeProvider, requestId: string, count: number, ctx: Ctx): Promise<CloudNode[]> {
  return ctx.eventually(async () => {
    const nodes = withRequest(await p.listNodes(), requestId);
    assert.equal(nodes.length, count, `nodes of ${requestId}: ${JSON.stringify(nodes)}`);
    return nodes;
  });
}

async function gone(p: NodeProvider, id: string, ctx: Ctx): Promise<void> {
  await ctx.eventually(async () => assert.ok(!ids(await p.listNodes()).includes(id), `${id} is still listed`));
}

const cases: Case[] = [
  { name: 'launch creates count nodes of the given type and kind, carrying the requestId', run: async (ctx) => {
    const { provider } = await ctx.target();
    const r = rid();
    await provider.launch(worker(r, 2));
    const nodes = await listed(provider, r, 2, ctx);
    for (const n of nodes) {
      assert.equal(n.nodeType, 'cpu_small');
      assert.equal(n.kind, 'worker');
      assert.ok(['pending', 'running'].includes(n.status), n.status);
    }
    assert.equal(new Set(ids(nodes)).size, 2, 'node ids are distinct');
  } },
  { name: 'launch of a head node creates a head', run: async (ctx) => {
    const { provider } = await ctx.target();
    const r = rid();
    await provider.launch({ requestId: r, nodeType: 'head_type', kind: 'head', count: 1 });
    const [head] = await listed(provider, r, 1, ctx);
    assert.equal(head?.kind, 'head');
    assert.equal(head?.nodeType, 'head_type');
  } },
  { name: 'launching count 0 creates nothing', run: async (ctx) => {
    const { provider } = await ctx.target();
    await provider.launch(worker(rid(), 0));
    assert.deepEqual(await provider.listNodes(), []);
  } },
  { name: 'the same requestId launched twice creates nothing new', run: async (ctx) => {
    const { provider } = await ctx.target();
    const r = rid();
    await provider.launch(worker(r, 2));
    const first = ids(await listed(provider, r, 2, ctx));
    await provider.launch(worker(r, 2));
    // A later request listed means the repeat has been handled too: had it made a node, that would be listed now.
    const later = rid();
    await provider.launch(worker(later, 1));
    await listed(provider, later, 1, ctx);
    assert.deepEqual(ids(withRequest(await provider.listNodes(), r)), first);
  } },
  { name: 'a second requestId adds nodes', run: async (ctx) => {
    const { provider } = await ctx.target();
    const [a, b] = [rid(), rid()];
    await provider.launch(worker(a, 1));
    await provider.launch(worker(b, 2));
    await listed(provider, a, 1, ctx);
    await listed(provider, b, 2, ctx);
    assert.equal((await provider.listNodes()).length, 3);
  } },
  { name: 'listNodes lists launched nodes with their tags and the cluster tag', run: async (ctx) => {
    const { provider } = await ctx.target();
    const r = rid();
    await provider.launch(worker(r, 2, { team: 'ml' }));
    const nodes = await listed(provider, r, 2, ctx);
    const clusters = new Set(nodes.map((n) => n.tags[CLUSTER_TAG]));
    assert.equal(clusters.size, 1, 'one cluster tag value');
    assert.ok([...clusters][0], 'the cluster tag is set');
    for (const n of nodes) assert.equal(n.tags.team, 'ml');
  } },
  { name: 'terminate removes nodes and is idempotent', run: async (ctx) => {
    const { provider } = await ctx.target();
    const r = rid();
    await provider.launch(worker(r, 2));
    const [victim, survivor] = ids(await listed(provider, r, 2, ctx));
    assert.ok(victim !== undefined && survivor !== undefined);
    await provider.terminate([victim]);
    await gone(provider, victim, ctx);
    await provider.terminate([victim]);
    await provider.terminate([victim, victim]);
    assert.deepEqual(ids(await listed(provider, r, 1, ctx)), [survivor]);
  } },
  { name: 'terminating unknown ids is fine', run: async (ctx) => {
    const { provider } = await ctx.target();
    await provider.terminate([]);
    await provider.terminate(['no-such-node-0', 'i-0000000000', '../../etc/passwd']);
    assert.deepEqual(await provider.listNodes(), []);
  } },
  { name: 'a crashed node disappears from listNodes', needsCrash: true, run: async (ctx) => {
    const target = await ctx.target();
    if (!target.crash) ctx.skip();
    const r = rid();
    await target.provider.launch(worker(r, 2));
    const [victim, survivor] = ids(await listed(target.provider, r, 2, ctx));
    assert.ok(victim !== undefined && survivor !== undefined);
    await target.crash?.(victim);
    await gone(target.provider, victim, ctx);
    assert.deepEqual(ids(await listed(target.provider, r, 1, ctx)), [survivor]);
  } },
  { name: 'nodes of another cluster are not listed', run: async (ctx) => {
    const [one, two] = [await ctx.target(), await ctx.target()];
    const [a, b] = [rid(), rid()];
    await one.provider.launch(worker(a, 1));
    await two.provider.launch(worker(b, 2));
    const [na] = await listed(one.provider, a, 1, ctx);
    const nb = await listed(two.provider, b, 2, ctx);
    assert.deepEqual(withRequest(await one.provider.listNodes(), b), []);
    assert.deepEqual(withRequest(await two.provider.listNodes(), a), []);
    assert.notEqual(na?.tags[CLUSTER_TAG], nb[0]?.tags[CLUSTER_TAG], 'clusters are told apart by tag');
    await one.provider.terminate(ids(nb)); // another cluster's ids are unknown here
    await listed(two.provider, b, 2, ctx);
  } },
];

/** Declares the conformance suite for one provider; `make` is called for every target a test needs. */
export function providerConformance(name: string, make: () => Promise<ConformanceTarget>, options: ConformanceOptions = {}): void {
  const waitMs = options.waitMs ?? 30_000;
  describe(`provider conformance: ${name}`, () => {
    let targets: ConformanceTarget[] = [];
    const ctxFor = (test: Mocha.Context): Ctx => ({
      skip: () => test.skip(),
      target: async () => {
        const t = await make();
        targets.push(t);
        return t;
      },
      eventually: async (check) => {
        const deadline = Date.now() + waitMs;
        for (;;) {
          try {
            return await check();
          } catch (e) {
            if (Date.now() >= deadline) throw e;
            await sleep(50);
          }
        }
      },
    });

    afterEach(async () => {
      const done = await Promise.allSettled(targets.map((t) => t.cleanup()));
      targets = [];
      const failed = done.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });

    for (const c of cases) {
      if (c.needsCrash && options.noCrash) continue;
      it(c.name, async function () {
        await c.run(ctxFor(this));
      });
    }
  });
}
