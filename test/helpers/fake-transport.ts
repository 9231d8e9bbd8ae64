import type { Transport } from '../../src/client/transport.js';
import type { Message, MessageOf } from '../../src/protocol/messages.js';

/**
 * A client's connection to a head, in memory: what the runtime sends is kept (and awaitable by type); `deliver`
 * and `drop` play the head. `closeDrops`: closing it is seen as a dropped connection too (a driver that closes
 * its own link, as a reconnecting runtime does with one it gives up on).
 */
export class FakeTransport implements Transport {
  readonly sent: Message[] = [];
  closed = false;
  private handler: ((ms: Message[]) => void) | undefined;
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private readonly watchers: { type: Message['type']; resolve: (m: Message) => void }[] = [];

  constructor(private readonly o: { closeDrops?: boolean } = {}) {}

  send(ms: Message[]): void {
    for (const m of ms) {
      this.sent.push(m);
      for (const w of this.watchers.filter((x) => x.type === m.type)) {
        this.watchers.splice(this.watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }
  onMessages(h: (ms: Message[]) => void): void { this.handler = h; }
  onClose(h: (reason: string) => void): void { this.closeHandlers.push(h); }
  async close(): Promise<void> {
    this.closed = true;
    if (this.o.closeDrops) this.drop('closed by the driver');
  }

  /** The next message of this type the runtime sends (or the first one it sent already). */
  next<T extends Message['type']>(type: T): Promise<MessageOf<T>> {
    const already = this.sent.find((m) => m.type === type);
    if (already) return Promise.resolve(already as MessageOf<T>);
    return new Promise((resolve) => this.watchers.push({ type, resolve: (m) => resolve(m as MessageOf<T>) }));
  }
  of<T extends Message['type']>(type: T): MessageOf<T>[] { return this.sent.filter((m) => m.type === type) as MessageOf<T>[]; }
  deliver(...ms: Message[]): void { this.handler?.(ms); }
  /** The connection drops; each close handler hears it once. */
  drop(reason: string): void { for (const h of this.closeHandlers.splice(0)) h(reason); }
}
