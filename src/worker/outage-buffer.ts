/**
 * What an agent produces while its head is away (task results, actor answers, puts, object locations, its worker
 * processes' calls), kept in order to be sent once it has registered again and re-reported its work, so no result
 * is lost and the head never hears of a result before the work it belongs to. Bounded in messages and bytes: past
 * either bound a message is dropped (and counted), never the agent's memory. Heartbeats are not kept: a late one
 * says nothing. Pure.
 */
import type { Message } from '../protocol/messages.js';

export interface OutageBounds {
  messages: number;
  bytes: number;
}

export const OUTAGE_BOUNDS: OutageBounds = { messages: 100_000, bytes: 256 * 1024 * 1024 };

/** A rough size of a message: the bytes it carries plus a fixed part for its fields. */
export function messageBytes(m: Message): number {
  let n = 256;
  if ('value' in m && m.value && typeof m.value === 'object' && 'kind' in m.value && m.value.kind === 'inline') n += m.value.data.byteLength;
  if (m.type === 'object.data' && m.data) n += m.data.byteLength;
  if (m.type === 'log') n += m.text.length * 2;
  if (m.type === 'submit' || m.type === 'actor.call' || m.type === 'actor.create') {
    const args = m.type === 'submit' ? m.task.args : m.type === 'actor.call' ? m.call.args : m.actor.ctorArgs;
    for (const a of args) if ('value' in a) n += a.value.byteLength;
  }
  return n;
}

export class OutageBuffer {
  private items: Message[] = [];
  private bytes = 0;
  /** Messages dropped since the last drain (past a bound). */
  dropped = 0;

  constructor(private readonly bounds: OutageBounds = OUTAGE_BOUNDS) {}

  /** Keeps a message for later; false when it was dropped (a heartbeat, or past a bound). */
  push(m: Message): boolean {
    if (m.type === 'heartbeat') return false;
    const size = messageBytes(m);
    if (this.items.length >= this.bounds.messages || this.bytes + size > this.bounds.bytes) {
      this.dropped += 1;
      return false;
    }
    this.items.push(m);
    this.bytes += size;
    return true;
  }

  /** Everything kept, in the order it was produced; the buffer is empty after. */
  drain(): { messages: Message[]; dropped: number } {
    const out = { messages: this.items, dropped: this.dropped };
    this.items = [];
    this.bytes = 0;
    this.dropped = 0;
    return out;
  }

  get length(): number {
    return this.items.length;
  }
}
