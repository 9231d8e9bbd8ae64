import type { GcsStore } from './store.js';

/**
 * Which cluster a store's records belong to. A store outlives its head on purpose (a restarted head loads it),
 * but not its cluster: after `down`, an `up` of the same name starts a new cluster, whose head must neither
 * wait for the last one's nodes to come back (that held min_workers' launch for head_reconnect_timeout_s) nor
 * list its nodes and jobs. The operator's credential is minted by a cluster's first `up` and forgotten by its
 * `down` (kept when `up` restarts the cluster for a changed config, whose jobs stay listed), so its digest names
 * the cluster, and the head's node id the head: one restarted by its supervisor is the same node. The sqlite
 * file and the redis keys are named by cluster name only, hence this record.
 */
export const OWNER_TABLE = 'cluster';
const OWNER_KEY = 'owner';
/** What a cluster restarted with a new head (`up` with a changed config: `down --keep-jobs`, then a head) keeps. */
const KEPT_ACROSS_HEADS = new Set(['jobs']);

interface OwnerRecord { operator: string; head: string }

/** kept: this head's own store (a restart); rehead: this cluster's, left by an earlier head (only its jobs are kept). */
export type Claim = 'kept' | 'rehead' | 'emptied' | 'new';

/**
 * Makes the store this head's: kept when it is already; when it is this cluster's but another head's, only
 * the jobs stay (the nodes, actors and groups went with the `down` before); emptied (every record of every
 * table, in one batch) when it holds another cluster's records or ones of no known cluster. `operator`: the
 * digest of the cluster's operator credential; undefined when the head has none (it then admits no operator
 * either), which leaves the store as it is.
 */
export async function claimStore(store: GcsStore, me: { operator: string | undefined; head: string }): Promise<Claim> {
  const { operator, head } = me;
  if (operator === undefined) return 'kept';
  const owner = store.table<OwnerRecord>(OWNER_TABLE);
  const held = owner.get(OWNER_KEY);
  if (held?.operator === operator && held.head === head) return 'kept';
  const rehead = held?.operator === operator;
  const dropped = store.tableNames().filter((n) => n !== OWNER_TABLE && !(rehead && KEPT_ACROSS_HEADS.has(n))).map((n) => store.table<unknown>(n));
  const stale = dropped.some((t) => t.size > 0);
  const writes = dropped.flatMap((t) => t.keys().map((k) => t.update(k, () => undefined)));
  writes.push(owner.update(OWNER_KEY, () => ({ operator, head })));
  await Promise.all(writes);
  return rehead ? 'rehead' : stale ? 'emptied' : 'new';
}
