import type { Server } from 'node:http';
import { deserialize, serialize } from 'node:v8';
import type { WebSocket, WebSocketServer } from 'ws';
import { type TProperties, Type } from '@sinclair/typebox';
import { digest, guardedServer, tokenMatches } from '../common/admission.js';
import { closeReason } from '../common/ws-close.js';
import { CHUNK_BYTES, FRAME_LIMIT } from '../protocol/fragments.js';
import { Count } from '../protocol/shapes.js';
import { UnionCheck, type UnionOf } from '../protocol/union.js';

/** The most bytes one chunk carries: a node never sends more in one message, whatever a fetcher asks for. */
export const CHUNK_LIMIT = CHUNK_BYTES;

/**
 * The largest WebSocket message either side accepts. A chunk is its header plus at most CHUNK_LIMIT bytes, so
 * twice the limit leaves ample room while still refusing a peer that tries to make us buffer without bound.
 */
export const OBJECT_MAX_PAYLOAD = FRAME_LIMIT;

/**
 * Over this many bytes waiting to be written to a fetcher, its further requests are not read until they are:
 * a fetcher keeps a few chunks in flight (its window), so only one that asks for far more than it reads waits.
 */
export const SERVE_HIGH_WATER = 4 * CHUNK_LIMIT;

/** raylaunch.max_connections's default, for a server made without the config (tests). */
const DEFAULT_MAX_CONNECTIONS = 1024;

const Str = Type.String();

/** Every header on an object-transfer connection; kept out of src/protocol because only nodes speak it. */
const OBJECT_MESSAGES = {
  /** A fetcher asks for `length` bytes of object `id` from `offset` (the server answers at most CHUNK_LIMIT). */
  'chunk.get': { reqId: Count, id: Str, offset: Count, length: Count },
  /**
   * The answer to a chunk.get: the object's size and where these bytes go. The bytes themselves follow the header
   * raw in the same WebSocket message (see encodeObjectFrame), so they are never v8-serialized or copied.
   */
  chunk: { reqId: Count, id: Str, offset: Count, total: Count },
  /** The node does not hold the object (never made here, or already dropped with its job). */
  'chunk.missing': { reqId: Count, id: Str },
} satisfies Record<string, TProperties>;

export type ObjectMessage = UnionOf<typeof OBJECT_MESSAGES>;
export type ChunkGet = Extract<ObjectMessage, { type: 'chunk.get' }>;
export type ChunkHeader = Extract<ObjectMessage, { type: 'chunk' }>;
export type ChunkMissing = Extract<ObjectMessage, { type: 'chunk.missing' }>;

const objectMessages = new UnionCheck<ObjectMessage>(OBJECT_MESSAGES, 'object-transfer header');

/**
 * The head of a frame: a 4-byte little-endian header length, then the v8-serialized header. A chunk's raw payload
 * follows in the same WebSocket message but is sent as its own fragment, so the stored bytes are written as they
 * are instead of being concatenated onto (or v8-serialized into) the header.
 */
export function encodeObjectFrame(header: ObjectMessage): Buffer {
  const body = serialize(header);
  const frame = Buffer.allocUnsafe(4 + body.byteLength);
  frame.writeUInt32LE(body.byteLength, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * Splits a received message (one buffer, or the fragments ws hands over with binaryType 'fragments') into its
 * header and payload pieces. The payload stays as views of the received buffers so the reader copies it once,
 * straight into its destination.
 */
export function decodeObjectFrame(message: Buffer | readonly Buffer[]): { header: ObjectMessage; payload: Buffer[] } {
  let parts = Array.isArray(message) ? (message as readonly Buffer[]) : [message as Buffer];
  let first = parts[0];
  if (first === undefined || first.byteLength < 4) {
    first = Buffer.concat(parts as Buffer[]);
    parts = [first];
  }
  if (first.byteLength < 4) throw new Error('malformed object frame: shorter than its header length');
  const headerEnd = 4 + first.readUInt32LE(0);
  if (first.byteLength < headerEnd) {
    // The header straddles fragments only if a peer fragments differently from ours: rare, so copy then.
    first = Buffer.concat(parts as Buffer[]);
    parts = [first];
    if (first.byteLength < headerEnd) throw new Error('malformed object frame: truncated header');
  }
  const value: unknown = deserialize(first.subarray(4, headerEnd));
  const why = objectMessages.problem(value);
  if (why !== undefined) throw new Error(`malformed object frame: ${why}`);
  const payload: Buffer[] = [];
  if (first.byteLength > headerEnd) payload.push(first.subarray(headerEnd));
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p !== undefined && p.byteLength > 0) payload.push(p);
  }
  return { header: value as ObjectMessage, payload };
}

/** What an ObjectServer needs to listen and serve: where, the cluster's object credential, and the node's objects. */
export interface ObjectServerOptions {
  host: string;
  /** 0 picks any free port; listen() resolves to the one chosen. */
  port: number;
  /**
   * The object credential the head hands registered agents and drivers (in their welcome, never to a worker
   * process): what admits a fetcher here.
   */
  token: string;
  store: { get(id: string): Uint8Array | undefined };
  /** Open fetcher connections (raylaunch.max_connections); one more is refused with 503 during its upgrade. Default 1024. */
  maxConnections?: number;
  /** One line to the node's log: why a fetcher's connection was closed. */
  log?(line: string): void;
}


/**
 * Serves a node's stored objects to other nodes and drivers directly, in chunks of at most CHUNK_LIMIT, so large
 * objects never pass through the head. Admission is the control plane's: the object credential (401 without it,
 * before any message is read) and the same protocol version (426 otherwise).
 */
export class ObjectServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private served = 0;
  private requests = 0;
  private largest = 0;

  constructor(private readonly o: ObjectServerOptions) {
    const expected = digest(o.token);
    const most = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    ({ server: this.server, wss: this.wss } = guardedServer({
      admit: (h) => (tokenMatches(h, expected) ? true : undefined), refusedText: 'the cluster\'s object credential is required', maxPayload: OBJECT_MAX_PAYLOAD, health: () => ({ ok: true }), accept: (ws) => this.accept(ws),
      // Every fetcher holds the object credential, so it is the credential's holders (any driver) this bounds.
      full: () => (this.wss.clients.size >= most
        ? `this node's object server has ${this.wss.clients.size} connections open, its limit (raylaunch.max_connections): try again once some close, or raise the limit`
        : undefined),
    }));
  }

  /** Payload bytes sent so far, over all connections (headers not counted). */
  get bytesServed(): number {
    return this.served;
  }

  /** chunk.get requests answered so far (missing objects included): with largestChunk, how transfers were split. */
  get requestsServed(): number {
    return this.requests;
  }

  /** The most payload bytes sent in one chunk so far; never above CHUNK_LIMIT. */
  get largestChunk(): number {
    return this.largest;
  }

  /** Open fetcher connections. */
  get connections(): number {
    return this.wss.clients.size;
  }

  private accept(ws: WebSocket): void {
    // A fetcher that sends what it may not, or a request that fails here, loses its connection; the node serves on.
    const refuse = (why: string) => {
      this.o.log?.(`object server: closing a fetcher's connection: ${why}`);
      ws.close(1008, closeReason(why));
    };
    ws.on('message', (data: Buffer) => {
      let header: ObjectMessage;
      try {
        header = decodeObjectFrame(data).header;
      } catch (e) {
        return refuse((e as Error).message);
      }
      if (header.type !== 'chunk.get') return refuse(`unexpected ${header.type} from a fetcher`);
      try {
        this.serve(ws, header);
      } catch (e) {
        refuse(`serving ${header.id} failed: ${(e as Error).message}`);
      }
      if (ws.bufferedAmount > SERVE_HIGH_WATER) ws.pause();
    });
    ws.on('error', () => ws.terminate());
  }

  private serve(ws: WebSocket, req: ChunkGet): void {
    if (ws.readyState !== ws.OPEN) return;
    this.requests++;
    // Once a reply is written, read the fetcher's requests again if they were paused and little waits now.
    const written = () => { if (ws.isPaused && ws.bufferedAmount <= SERVE_HIGH_WATER / 2) ws.resume(); };
    const data = this.o.store.get(req.id);
    if (data === undefined) {
      ws.send(encodeObjectFrame({ type: 'chunk.missing', reqId: req.reqId, id: req.id }), written);
      return;
    }
    const total = data.byteLength;
    const offset = Math.min(req.offset, total);
    const end = Math.min(total, offset + Math.min(req.length, CHUNK_LIMIT));
    // A view, not a copy: the stored bytes go to the socket as they are.
    const slice = data.subarray(offset, end);
    this.served += slice.byteLength;
    this.largest = Math.max(this.largest, slice.byteLength);
    const header = encodeObjectFrame({ type: 'chunk', reqId: req.reqId, id: req.id, offset, total });
    // Two fragments of one message: the payload is written from the store's memory instead of being
    // concatenated onto the header, and the fetcher receives header and payload as separate buffers.
    ws.send(header, { binary: true, fin: false });
    ws.send(slice, { binary: true, fin: true }, written);
  }

  /** Starts listening; resolves to the port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.o.port);
      });
    });
  }

  /** Stops listening and drops every connection; fetches in progress against this node fail. */
  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
