// What both fake clouds' HTTP side does alike: the listeners (loopback unless told otherwise, never a metadata
// address, which on this machine could reach the real host's metadata service), bounded request bodies, and
// moving the cloud in time: on a ManualClock when the test advances it, else by a timer set for the next due move.
import { once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../../src/common/clock.js';
import { ManualClock } from './clock.js';

/** The largest request body a fake reads. */
export const MAX_BODY = 1 << 20;

/** The host, unless it is a metadata address of any cloud (link-local, EC2's and GCE's IPv6 ones, GCE's names). */
export function refuseMetadataAddress(host: string, fake: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('169.254.') || h.startsWith('fd00:ec2:') || h.startsWith('fd20:ce::') || h.startsWith('metadata.google.internal') || h === 'metadata') {
    throw new Error(`the ${fake} never binds a metadata address (${host})`);
  }
  return host;
}

/** The request's body as text; past MAX_BODY, the error `tooLarge` makes (each cloud answers in its own words). */
export async function readBody(req: IncomingMessage, tooLarge: () => Error): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw tooLarge();
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The part of a fake cloud's model that moves in time. */
export interface TimedCloud {
  now(): number;
  /** When the next automatic move (a boot, a stop, an operation, a notice) is due, if any. */
  nextDue(): number | undefined;
  /** Applies every move due by now. */
  settle(): void;
  on(event: 'transition', listener: () => void): unknown;
}

/** A listener to open: its server, and where (loopback and any free port unless told otherwise). */
export interface ListenAt {
  server: Server;
  host?: string;
  port?: number;
}

/** A fake's listeners and its timer, closed together. */
export class FakeListeners {
  private readonly servers: Server[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly manual: boolean;

  constructor(private readonly cloud: TimedCloud, clock: Clock) {
    this.manual = clock instanceof ManualClock;
    if (clock instanceof ManualClock) clock.on('advance', () => cloud.settle());
    cloud.on('transition', () => this.schedule());
  }

  /** Listens on the address and port (0 for any); answers host:port, IPv6 hosts in brackets. */
  async listen(server: Server, port: number | undefined, at: string): Promise<string> {
    server.listen(port ?? 0, at);
    await once(server, 'listening');
    this.servers.push(server);
    return `${at.includes(':') ? `[${at}]` : at}:${(server.address() as AddressInfo).port}`;
  }

  /**
   * The fake's API listener, then its metadata listener (unless false; on the API's host unless told otherwise),
   * neither on a metadata address; when one fails (an address in use), neither stays open. Answers their host:port.
   */
  async listenApiAndMetadata(fake: string, api: ListenAt, metadata: ListenAt | false): Promise<{ api: string; metadata?: string }> {
    const host = refuseMetadataAddress(api.host ?? '127.0.0.1', fake);
    const mdHost = metadata === false ? undefined : refuseMetadataAddress(metadata.host ?? host, fake);
    try {
      const apiAt = await this.listen(api.server, api.port, host);
      if (metadata === false || mdHost === undefined) return { api: apiAt };
      return { api: apiAt, metadata: await this.listen(metadata.server, metadata.port, mdHost) };
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** On the real clock, wakes up when the next automatic move is due, so hosts boot and halt without a call. */
  schedule(): void {
    if (this.manual || this.servers.length === 0) return;
    clearTimeout(this.timer);
    const due = this.cloud.nextDue();
    if (due === undefined) return;
    this.timer = setTimeout(() => {
      this.cloud.settle();
      this.schedule();
    }, Math.max(0, due - this.cloud.now()));
    this.timer.unref();
  }

  /** Stops the timer and closes every listener with its open connections. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(this.servers.map(async (s) => { s.close(); await once(s, 'close'); }));
    this.servers.length = 0;
  }
}
