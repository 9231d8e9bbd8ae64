/**
 * Acts on decide()'s output: launches in parallel (at most max_concurrent_launches provider calls at once),
 * terminations, and node setups in the background (as many as nodes launching, which decide() keeps within
 * max_concurrent_launches). It decides nothing; every result is reported as an Outcome, which the loop folds
 * into its state (applyOutcome) for status and the next tick.
 */
import { launchFailure, setupFailure } from './failures.js';
import { type CloudNode, holdsFailedHosts, type NodeProvider, stopsNodes } from '../../../providers/provider.js';
import type { LaunchOrder, TerminationOrder } from './decide.js';
import type { NodeSetup } from './node-setup.js';
import type { Outcome } from './outcomes.js';

export interface ExecutorDeps {
  provider: NodeProvider;
  /** How nodes are set up and stopped, for providers whose nodes are reached over SSH; unset for process nodes. */
  nodeSetup?: NodeSetup;
  /**
   * A terminated node's host keeps running (a host pool): raylaunch's processes there are stopped before the
   * node is handed back.
   */
  stopBeforeTerminate: boolean;
  /** No new work goes to a node about to be terminated. */
  drain(nodeId: string): void;
  /** The credentials of these nodes admit nobody from now on (they are being terminated). */
  revoke(nodeIds: readonly string[]): void;
  /** Tags every node of a launch carries (the launch hash of its type). */
  launchTags(nodeType: string): Record<string, string>;
  maxConcurrentLaunches(): number;
  /** provider.cache_stopped_nodes: idle workers are stopped for reuse, where the provider can stop them. */
  cacheStoppedNodes?(): boolean;
  report(o: Outcome): void;
}

/** Runs `fn` on every item, at most `limit` at a time; resolves when all have settled. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
}

export class Executor {
  private readonly setups = new Map<string, Promise<void>>();

  constructor(private readonly d: ExecutorDeps) {}

  /**
   * Sends the launches, in parallel, then lists the provider once so the new nodes' ids are known now (one that
   * dies before the next tick is then known to be gone, rather than counted as launching until the start
   * timeout). Returns that listing, or undefined when nothing was launched.
   */
  async launch(orders: readonly LaunchOrder[]): Promise<CloudNode[] | undefined> {
    let stopped = false;
    const sent: string[] = [];
    await eachLimited(orders, this.d.maxConcurrentLaunches(), async (l) => {
      if (stopped) return this.d.report({ kind: 'dropped', requestId: l.requestId, why: 'launching stopped before it was sent' });
      this.d.report({ kind: 'sent', requestId: l.requestId });
      try {
        await this.d.provider.launch({ requestId: l.requestId, nodeType: l.nodeType, kind: 'worker', count: l.count, tags: this.d.launchTags(l.nodeType) });
        sent.push(l.requestId);
        this.d.report({ kind: 'launched', requestId: l.requestId, nodeType: l.nodeType });
      } catch (error) {
        const failure = launchFailure(error);
        if (failure.class === 'stop') stopped = true;
        this.d.report({ kind: 'launch-failed', requestId: l.requestId, nodeType: l.nodeType, count: l.count, failure });
      }
    });
    if (sent.length === 0) return undefined;
    const nodes = await this.d.provider.listNodes();
    this.d.report({ kind: 'listed', requestIds: sent, nodes });
    return nodes;
  }

  /**
   * Drains and terminates nodes. On a host pool raylaunch is first stopped on each host, once any setup still
   * running there has ended (else it would start the daemon after the stop); a host whose setup failed is handed
   * back for a cool-down where the provider keeps one. A failed stop is rethrown once every node is handed back.
   */
  async terminate(orders: readonly TerminationOrder[], nodes: ReadonlyMap<string, CloudNode>): Promise<void> {
    if (orders.length === 0) return;
    for (const t of orders) this.d.drain(t.id);
    const setup = this.d.nodeSetup;
    let stopFailure: unknown;
    if (this.d.stopBeforeTerminate && setup) {
      await Promise.allSettled(orders.map((t) => this.settled(t.id)));
      const stops = await Promise.allSettled(orders.map(async (t) => {
        const node = nodes.get(t.id);
        if (node) await setup.stop(node);
      }));
      // A host whose setup failed may well be unreachable: its stop is tried, and a failure is not news.
      stopFailure = stops.map((r, k) => (r.status === 'rejected' && orders[k]?.reason !== 'setup_failed' ? r.reason as unknown : undefined)).find((r) => r !== undefined);
    }
    const provider = this.d.provider;
    const ids = orders.map((t) => t.id);
    // After the setups have settled (a setup mints the node's credential as it starts the agent), and again once
    // the provider is done, whatever it threw: a setup still running during a cloud terminate may mint one more.
    // A node kept stopped is set up again, with a new credential, when it is started.
    this.d.revoke(ids);
    try {
      // Only idle workers are kept stopped: an outdated, failed or drained node would only be replaced again.
      const cached = this.d.cacheStoppedNodes?.() === true && stopsNodes(provider) ? orders.filter((t) => t.reason === 'idle') : [];
      if (cached.length > 0 && stopsNodes(provider)) await provider.stop(cached.map((t) => t.id));
      const rest = orders.filter((t) => !cached.includes(t));
      const failed = rest.filter((t) => t.reason === 'setup_failed').map((t) => t.id);
      if (failed.length > 0 && holdsFailedHosts(provider)) {
        await provider.releaseFailed(failed);
        const others = rest.filter((t) => t.reason !== 'setup_failed').map((t) => t.id);
        if (others.length > 0) await provider.terminate(others);
      } else if (rest.length > 0) {
        await provider.terminate(rest.map((t) => t.id));
      }
    } finally {
      this.d.revoke(ids);
    }
    if (stopFailure !== undefined) throw stopFailure;
  }

  /** Starts setting nodes up in the background; each outcome is reported when it comes. */
  setUp(nodes: readonly CloudNode[]): void {
    const setup = this.d.nodeSetup;
    if (!setup) return;
    for (const node of nodes) {
      if (this.setups.has(node.id)) continue;
      const p = setup.setUp(node, (step) => this.d.report({ kind: 'setup-step', nodeId: node.id, step })).then(
        () => this.d.report({ kind: 'setup-done', nodeId: node.id }),
        (error: unknown) => this.d.report({ kind: 'setup-failed', nodeId: node.id, failure: setupFailure(error), log: setup.logOf(node) }),
      );
      this.setups.set(node.id, p);
      void p.finally(() => { if (this.setups.get(node.id) === p) this.setups.delete(node.id); }).catch(() => undefined);
    }
  }

  /** Resolves when the node's setup has ended (at once when none runs). */
  settled(nodeId: string): Promise<void> {
    return this.setups.get(nodeId) ?? Promise.resolve();
  }
}
