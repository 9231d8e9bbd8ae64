import type { Message, MessageOf } from '../protocol/messages.js';

/** A connection the relay sends through, and knows its answers by. */
export interface RelayPeer {
  send(m: Message): void;
}

export interface RelayHost {
  /** The agent of a live node, if it has one connected. */
  holder(nodeId: string): RelayPeer | undefined;
  toClient(client: string, m: Message): void;
}

/**
 * Objects passed through the head when a process cannot fetch them from their node itself: the head asks the
 * node's agent under a request id of its own and hands the answer back to whoever asked. `relayedBytes` says how
 * much went this way (the head should stay off the data path).
 */
export class ObjectRelay {
  private readonly pending = new Map<number, { client: string; reqId: number; holder: RelayPeer }>();
  private seq = 0;
  private bytes = 0;

  constructor(private readonly host: RelayHost) {}

  get relayedBytes(): number {
    return this.bytes;
  }

  pull(m: MessageOf<'object.pull'>): void {
    const answer = (data: Uint8Array | null) => this.host.toClient(m.client, { type: 'object.data', reqId: m.reqId, client: m.client, id: m.id, data });
    const holder = this.host.holder(m.nodeId);
    if (!holder) return answer(null);
    const relayId = this.seq++;
    this.pending.set(relayId, { client: m.client, reqId: m.reqId, holder });
    holder.send({ ...m, reqId: relayId });
  }

  /** The holder's answer; one from any other connection is not an answer to this relay and is dropped. */
  data(from: RelayPeer, m: MessageOf<'object.data'>): void {
    const relay = this.pending.get(m.reqId);
    if (!relay || relay.holder !== from) return;
    this.pending.delete(m.reqId);
    this.bytes += m.data?.byteLength ?? 0;
    this.host.toClient(relay.client, { ...m, reqId: relay.reqId, client: relay.client });
  }
}
