import type { NodeTable } from '../../src/head/nodes.js';
import type { Slot, Slots } from '../../src/head/slots.js';

const nodeOf = (s: Slot): string => (s.kind === 'node' ? s.nodeId : `bundle ${s.pgId}/${s.index}`);

/** The live nodes of a table as slots, without placement groups or the prefetch headroom (SlotBroker adds those). */
export function nodeSlots(nodes: NodeTable): Slots {
  return {
    candidates: () => nodes.alive().map((n) => ({ slot: { kind: 'node', nodeId: n.nodeId }, nodeId: n.nodeId, total: n.total, available: n.available })),
    acquire: (s, need) => nodes.acquire(nodeOf(s), need),
    release: (s, need) => nodes.release(nodeOf(s), need),
    nodeOf: (s) => (nodes.get(nodeOf(s))?.state === 'ALIVE' ? nodeOf(s) : undefined),
  };
}
