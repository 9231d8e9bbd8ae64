import type { NodeRecord } from './nodes.js';

/** What keeps a node from being idle. */
export type BusyCode = 'reconnecting' | 'running-work' | 'hosts-actor' | 'holds-objects';

/** Why a node is in use: a code to act on, and the words `status` shows. */
export interface BusyReason {
  readonly code: BusyCode;
  readonly text: string;
}

const REASONS: { readonly [C in BusyCode]: BusyReason } = {
  reconnecting: { code: 'reconnecting', text: 'its agent has yet to reconnect after a head restart' },
  'running-work': { code: 'running-work', text: 'running work' },
  'hosts-actor': { code: 'hosts-actor', text: 'hosts an actor' },
  'holds-objects': { code: 'holds-objects', text: 'holds objects a job may still need' },
};

/**
 * Why each node is in use, if it is, given the nodes hosting live actors and those storing objects: work or
 * reserved bundles (resources taken), then an actor, then objects a job may get. A node a restarted head waits
 * for is never idle: what runs there is not known until its agent reports it. Pure.
 */
export function busyReasons(actorNodes: ReadonlySet<string>, objectHolders: ReadonlySet<string>): (n: NodeRecord) => BusyReason | undefined {
  return (n) => (n.reconnectBy !== undefined ? REASONS.reconnecting : Object.entries(n.total).some(([k, v]) => (n.available[k] ?? 0) < v) ? REASONS['running-work']
    : actorNodes.has(n.nodeId) ? REASONS['hosts-actor'] : objectHolders.has(n.nodeId) ? REASONS['holds-objects'] : undefined);
}
