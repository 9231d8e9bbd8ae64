import { WebSocket } from 'ws';
import { protocolHeaders } from '../protocol/serial-format.js';
import { CHUNK_LIMIT, type ChunkHeader, type ChunkMissing, decodeObjectFrame, encodeObjectFrame, OBJECT_MAX_PAYLOAD } from './object-server.js';

/** How an ObjectFetcher reaches other nodes and how it splits a transfer. */
export interface ObjectFetcherOptions {
  token: string;
  /** Bytes asked for per chunk request; default and maximum CHUNK_LIMIT (the server would cap it anyway). */
  chunkBytes?: number;
  /** Chunk requests in flight per object: enough to keep the link busy while a reply is being copied. Default 4. */
  window?: number;
  /**
   * How long a connection with requests outstanding may go without receiving a message before it is dropped and
   * its fetches fail: a node that vanished without closing its socket must not hang a fetch forever. Measured
   * per message, so it must exceed the time one chunk takes on the slowest link expected. Default 60 s.
   */
  idleTimeoutMs?: number;
  /** How long opening a connection may take. Default 10 s. */
  connectTimeoutMs?: number;
}

type Reply = { header: ChunkHeader | ChunkMissing; payload: Buffer[] };

interface Waiter {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

/** One WebSocket to one node's ObjectServer, shared by every fetch from that node; replies matched by reqId. */
class Connection {
  readonly ready: Promise<void>;
  private readonly ws: WebSocket;
  private readonly waiting = new Map<number, Waiter>();
  private nextReqId = 0;
  private failure: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly closed: Promise<void>;

  constructor(readonly address: string, token: string, private readonly idleTimeoutMs: number, connectTimeoutMs: number, onGone: (c: Connection) => void) {
    const url = address.startsWith('ws://') ? address : `ws://${address}`;
    this.ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}`, ...protocolHeaders() },
      perMessageDeflate: false,
      maxPayload: OBJECT_MAX_PAYLOAD,
      handshakeTimeout: connectTimeoutMs,
    });
    // Header and payload arrive as the fragments the server sent, so the payload is copied only into its destination.
    this.ws.binaryType = 'fragments';
    this.ready = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => {
          this.failure = new Error(res.statusCode === 401
            ? `the object server at ${address} refused the credential (HTTP 401): the fetcher must use the object credential its head handed out`
            : `the object server at ${address} refused the connection (HTTP ${res.statusCode}): ${body.trim()}`);
          reject(this.failure);
          this.ws.terminate();
        });
      });
      this.ws.once('error', (e) => reject(new Error(`cannot reach the object server at ${address}: ${e.message}`)));
    });
    // Callers that never await `ready` (the connection failed before any fetch looked) must not leave it unhandled.
    this.ready.catch(() => undefined);
    this.closed = new Promise<void>((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.clearIdle();
        onGone(this);
        const why = this.failure ?? new Error(`the connection to the object server at ${address} closed (${code}${reason.length ? `: ${reason.toString()}` : ''}) before the transfer finished`);
        this.failure = why;
        const waiting = [...this.waiting.values()];
        this.waiting.clear();
        for (const w of waiting) w.reject(why);
        resolve();
      });
    });
    // 'close' always follows an error; it reports it to the waiting fetches.
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data: Buffer[] | Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
  }

  get isOpen(): boolean {
    return this.failure === undefined && (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN);
  }

  private onMessage(data: Buffer[] | Buffer, isBinary: boolean): void {
    let reply: ReturnType<typeof decodeObjectFrame>;
    try {
      if (!isBinary) throw new Error('a text message');
      reply = decodeObjectFrame(data);
      if (reply.header.type === 'chunk.get') throw new Error('a chunk request');
    } catch (e) {
      return this.fail(new Error(`the object server at ${this.address} sent ${(e as Error).message}; dropping the connection`));
    }
    const w = this.waiting.get(reply.header.reqId);
    this.waiting.delete(reply.header.reqId);
    this.armIdle();
    w?.resolve({ header: reply.header, payload: reply.payload });
  }

  /** One chunk of `id`; rejects if the connection ends before the answer. */
  request(id: string, offset: number, length: number): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`the connection to the object server at ${this.address} is not open`));
    const reqId = this.nextReqId++;
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(reqId, { resolve, reject });
      if (this.idleTimer === undefined) this.armIdle();
      this.ws.send(encodeObjectFrame({ type: 'chunk.get', reqId, id, offset, length }));
    });
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.waiting.size === 0) return;
    this.idleTimer = setTimeout(() => {
      this.fail(new Error(`the object server at ${this.address} sent nothing for ${this.idleTimeoutMs} ms with requests outstanding; dropping the connection`));
    }, this.idleTimeoutMs);
    // Outstanding requests keep the socket (and so the process) alive; the timer need not.
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Ends the connection; every waiting request rejects with `why`. */
  fail(why: Error): void {
    this.failure ??= why;
    this.ws.terminate();
  }

  close(): Promise<void> {
    this.fail(new Error(`the object fetcher was closed while fetching from ${this.address}`));
    return this.closed;
  }
}

const positiveInt = (n: number | undefined, fallback: number): number =>
  n !== undefined && Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;

/**
 * Fetches objects directly from the ObjectServer of the node that holds them, in chunks of at most CHUNK_LIMIT with
 * a few in flight, over one reused connection per node. The head never relays the bytes.
 */
export class ObjectFetcher {
  private readonly connections = new Map<string, Connection>();
  private readonly chunkBytes: number;
  private readonly window: number;
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private closed = false;

  constructor(private readonly o: ObjectFetcherOptions) {
    this.chunkBytes = Math.min(positiveInt(o.chunkBytes, CHUNK_LIMIT), CHUNK_LIMIT);
    this.window = positiveInt(o.window, 4);
    this.idleTimeoutMs = positiveInt(o.idleTimeoutMs, 60_000);
    this.connectTimeoutMs = positiveInt(o.connectTimeoutMs, 10_000);
  }

  private connection(address: string): Connection {
    const existing = this.connections.get(address);
    if (existing?.isOpen) return existing;
    let conn: Connection;
    try {
      conn = new Connection(address, this.o.token, this.idleTimeoutMs, this.connectTimeoutMs, (gone) => {
        // A newer connection may already have replaced this one; only forget the one that closed.
        if (this.connections.get(address) === gone) this.connections.delete(address);
      });
    } catch (e) {
      // ws throws synchronously on a malformed URL; say which address it was.
      throw new Error(`cannot reach the object server at ${address}: ${(e as Error).message}`, { cause: e });
    }
    this.connections.set(address, conn);
    return conn;
  }

  /**
   * The whole object from the node at `address` (host:port of its ObjectServer); undefined if the node no longer
   * has it. Rejects with an Error naming the address if the node cannot be reached or the connection ends mid-way.
   * `sizeHint` (the size the head reported) lets the first window of chunks go out at once instead of one round
   * trip later; a wrong hint only costs a wasted request or that round trip.
   */
  async fetch(address: string, id: string, sizeHint?: number): Promise<Uint8Array | undefined> {
    if (this.closed) throw new Error(`the object fetcher is closed; cannot fetch ${id} from ${address}`);
    const reused = this.connections.get(address)?.isOpen === true;
    const conn = this.connection(address);
    await conn.ready;
    const progress = { replies: 0 };
    try {
      return await this.transfer(conn, address, id, sizeHint, progress);
    } catch (e) {
      // An idle connection may have been closed by the node (a restart, an idle cut) just before this fetch used
      // it; that says nothing about the node now, so try once more on a fresh connection. A connection that
      // fails after answering is a real failure and is reported.
      if (!reused || progress.replies > 0 || conn.isOpen || this.closed) throw e;
      const fresh = this.connection(address);
      await fresh.ready;
      return this.transfer(fresh, address, id, sizeHint, progress);
    }
  }

  private transfer(conn: Connection, address: string, id: string, sizeHint: number | undefined, progress: { replies: number }): Promise<Uint8Array | undefined> {
    const chunk = this.chunkBytes;
    const window = this.window;
    return new Promise<Uint8Array | undefined>((resolve, reject) => {
      let total: number | undefined;
      let out: Buffer | undefined;
      let received = 0;
      let next = 0;
      let inFlight = 0;
      let settled = false;
      const guess = sizeHint !== undefined && Number.isFinite(sizeHint) && sizeHint > 0 ? sizeHint : 1;

      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      const done = (v: Uint8Array | undefined) => {
        settled = true;
        resolve(v);
      };
      const onReply = (offset: number, r: Reply) => {
        inFlight--;
        progress.replies++;
        if (settled) return;
        if (r.header.type === 'chunk.missing') return done(undefined);
        const h = r.header;
        if (h.id !== id) return fail(new Error(`the object server at ${address} answered a request for ${id} with ${h.id}`));
        if (total === undefined || out === undefined) {
          total = h.total;
          out = Buffer.allocUnsafe(total);
        } else if (h.total !== total) {
          return fail(new Error(`object ${id} at ${address} changed size during the transfer (${total} then ${h.total} bytes)`));
        }
        const expected = Math.max(0, Math.min(chunk, total - offset));
        let n = 0;
        for (const p of r.payload) n += p.byteLength;
        if (n !== expected || (expected > 0 && h.offset !== offset)) {
          return fail(new Error(`the object server at ${address} sent ${n} bytes at offset ${h.offset} of ${id}; expected ${expected} at ${offset}`));
        }
        let at = offset;
        for (const p of r.payload) {
          out.set(p, at);
          at += p.byteLength;
        }
        received += n;
        if (received === total) return done(out);
        pump();
      };
      // Until the first reply says how big the object is, only the hint (or a single chunk) is asked for.
      const pump = () => {
        while (!settled && inFlight < window && next < (total ?? guess)) {
          const offset = next;
          next += chunk;
          inFlight++;
          conn.request(id, offset, chunk).then((r) => {
            try {
              onReply(offset, r);
            } catch (e) {
              fail(e instanceof Error ? e : new Error(String(e)));
            }
          }, fail);
        }
      };
      pump();
    });
  }

  /** Ends every connection; fetches still running reject, and later fetches are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const conns = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(conns.map((c) => c.close()));
  }
}
