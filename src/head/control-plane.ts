import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { Batcher } from '../common/batcher.js';
import { FrameLink } from '../common/frame-link.js';
import { closeReason } from '../common/ws-close.js';
import { CHUNK_BYTES, FRAME_LIMIT, payloadBytes } from '../protocol/fragments.js';
import type { Message, Role } from '../protocol/messages.js';
import { guardedServer, type HttpRoutes, refuse } from '../common/admission.js';
import type { Identity } from '../common/credentials.js';

/** One connection to the head: a node's agent, a driver or a CLI (or the head's own agent, in process). */
export interface Peer {
  readonly id: number;
  /** Who its credential says it is (decided at the upgrade, before any message): its hello must agree. */
  readonly identity: Identity;
  role: Role | undefined;
  clientId: string | undefined;
  nodeId: string | undefined;
  /** A driver's job, from its job credential (undefined for the operator's connections). */
  jobId: string | undefined;
  send(m: Message): void;
  close(reason: string): void;
}

export interface PeerHandlers {
  onMessages(peer: Peer, msgs: Message[]): void;
  onClose(peer: Peer): void;
  /** What the peer sent cannot be taken (a malformed frame, a failure handling it): close it, with the reason logged. */
  refuse(peer: Peer, why: string): void;
  /** The peer is gone without a close (it answered no ping): logged; its socket is cut and its close follows. */
  lost?(peer: Peer, why: string): void;
}

export interface ControlPlaneOptions {
  /** The bound port (listen()), served from construction on. */
  listener: Listener;
  /** Where every connection's messages and close go (the head's router). */
  handlers: PeerHandlers;
  /** Who an Authorization header's credential makes a connection, or undefined for none of this cluster's. */
  admit(authorization: string | undefined): Identity | undefined;
  /** What GET /health answers (no secrets). */
  health(): Record<string, unknown>;
  /** The HTTP API beside the WebSocket (src/head/http/): Jobs API, metrics, dashboard. */
  routes?: HttpRoutes;
  /** Bounds on what peers may hold of the head's memory; defaults: CONTROL_PLANE_LIMITS. */
  limits?: Partial<ControlPlaneLimits>;
  /** Counts the traffic, both ways (the head's /metrics). */
  traffic?: TrafficMeter;
}

/** What the control plane counts of its WebSocket traffic, for the head's metrics (no prom-client here). */
export interface TrafficMeter {
  /** A WebSocket message of `bytes` came in; `msgs`: the messages it completed (none for a piece of a larger frame). */
  received(msgs: readonly Message[], bytes: number): void;
  /** A frame of `bytes` (0: not sent) went out with these messages. */
  sent(msgs: readonly Message[], bytes: number): void;
}

/** What the control plane lets its peers hold (raylaunch.max_connections, raylaunch.max_message_mb). */
export interface ControlPlaneLimits {
  /** Open WebSocket connections; one more is refused with 503 during its upgrade. */
  maxConnections: number;
  /**
   * The largest frame one peer may send (reassembled from its chunks: its budget of bytes in flight), and the
   * most that may wait unwritten to one peer before it is closed as one that does not read.
   */
  maxMessageBytes: number;
  /** Over this many bytes waiting to be written to a peer, the head reads nothing more from it until they are. */
  highWater: number;
  /**
   * How often the head pings each peer. One that answered neither the last ping nor with any message by the next
   * is gone without a close (a network that dropped silently: a laptop that slept, a NAT that forgot it) and is
   * cut, so that its session's grace starts and it may connect again under its client id or node.
   */
  pingMs: number;
}

export const CONTROL_PLANE_LIMITS: ControlPlaneLimits = { maxConnections: 1024, maxMessageBytes: 256 * 1024 * 1024, highWater: 16 * 1024 * 1024, pingMs: 20_000 };

/** The control plane's port, bound and not yet served (the head's address is known before anything that hands it out). */
export interface Listener {
  readonly port: number;
  /** Hands the server over to whoever serves it from now on (once). */
  take(): Server;
}

/**
 * Binds the control plane's port (0: any free one). Until a ControlPlane takes it, every request and upgrade is
 * answered 503 (the head is starting), so a peer that finds the port early tries again rather than hangs.
 */
export function listen(host: string, port: number): Promise<Listener> {
  const server = createServer();
  const starting = (socket: Duplex) => refuse(socket, 503, 'the head is starting: try again');
  const startingRequest = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(503, { 'content-type': 'text/plain' }).end('the head is starting\n');
  server.on('request', startingRequest);
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => starting(socket));
  let taken = false;
  const take = (): Server => {
    if (taken) throw new Error('the control plane\'s port is served already');
    taken = true;
    server.off('request', startingRequest);
    server.removeAllListeners('upgrade');
    return server;
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({ port: typeof addr === 'object' && addr ? addr.port : port, take });
    });
  });
}

let peerSeq = 0;

/**
 * The head's one listening port: WebSocket for the cluster's own traffic and plain HTTP (health). A connection
 * without a credential of this cluster is refused with 401 during the upgrade, before any message is read.
 */
export class ControlPlane {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly limits: ControlPlaneLimits;
  private largest = 0;
  /** Each open peer's link, and whether it was heard from since the last ping. */
  private readonly heard = new Map<WebSocket, { link: FrameLink; peer: Peer; heard: boolean }>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly o: ControlPlaneOptions) {
    const limits = { ...CONTROL_PLANE_LIMITS, ...o.limits };
    this.limits = limits;
    this.pinger = setInterval(() => this.ping(), limits.pingMs).unref();
    ({ server: this.server, wss: this.wss } = guardedServer({
      // A frame past FRAME_LIMIT is refused from its header, before its payload is read: larger ones come in chunks.
      server: o.listener.take(), admit: o.admit, refusedText: 'a credential of this cluster is required (the operator\'s, a node\'s or a job\'s)',
      maxPayload: FRAME_LIMIT, health: o.health, ...(o.routes ? { routes: o.routes } : {}), accept: (ws, who) => this.accept(ws, who),
      full: () => (this.wss.clients.size >= limits.maxConnections
        ? `the head has ${this.wss.clients.size} connections open, its limit (raylaunch.max_connections): try again once some close, or raise the limit`
        : undefined),
    }));
  }

  /** The most bytes one WebSocket message brought so far: what travels in chunks stays near CHUNK_BYTES. */
  get largestMessage(): number {
    return this.largest;
  }

  /** Open WebSocket connections. */
  get connections(): number {
    return this.wss.clients.size;
  }

  private ping(): void {
    for (const [ws, s] of this.heard) {
      // A peer whose reading is paused has its pong queued behind what it sent; the stuck bound judges it.
      if (!s.heard && !s.link.readingPaused) {
        this.o.handlers.lost?.(s.peer, `it answered no ping for ${Math.round(this.limits.pingMs / 1000)} s`);
        ws.terminate();
        continue;
      }
      s.heard = false;
      ws.ping();
    }
  }

  private accept(ws: WebSocket, identity: Identity): void {
    const { maxMessageBytes, highWater } = this.limits;
    const link = new FrameLink(ws, {
      maxMessage: maxMessageBytes, highWater, maxBuffered: maxMessageBytes, stuck: (why) => this.o.handlers.refuse(peer, why),
    });
    // A burst of large replies in one turn makes frames of about a chunk each, every one weighed against the bound.
    const traffic = this.o.traffic;
    const out = new Batcher<Message>((msgs) => {
      const bytes = link.send(msgs);
      if (bytes > 0) traffic?.sent(msgs, bytes);
    }, { bytes: CHUNK_BYTES, size: payloadBytes });
    const peer: Peer = {
      id: peerSeq++, identity, role: undefined, clientId: undefined, nodeId: undefined, jobId: identity.kind === 'job' ? identity.jobId : undefined,
      send: (m) => { if (ws.readyState === ws.OPEN && !link.stuck) out.push(m); },
      close: (reason) => {
        // A peer that does not read would never take the close frame: its socket goes, and what waited with it.
        if (link.stuck) return ws.terminate();
        out.flushNow();
        ws.close(1008, closeReason(reason));
      },
    };
    const liveness = { link, peer, heard: true };
    this.heard.set(ws, liveness);
    ws.on('pong', () => { liveness.heard = true; });
    ws.on('message', (data: Buffer) => {
      liveness.heard = true;
      this.largest = Math.max(this.largest, data.byteLength);
      let msgs: Message[] | undefined;
      try {
        msgs = link.receive(data);
        traffic?.received(msgs ?? [], data.byteLength);
        if (!msgs) return;
      } catch (e) {
        return this.o.handlers.refuse(peer, (e as Error).message);
      }
      // The router handles each message in a boundary of its own; this one is for whatever escapes it.
      try {
        this.o.handlers.onMessages(peer, msgs);
      } catch (e) {
        this.o.handlers.refuse(peer, `its frame failed: ${(e as Error).message}`);
      }
    });
    ws.on('close', () => {
      this.heard.delete(ws);
      this.o.handlers.onClose(peer);
    });
    ws.on('error', () => ws.terminate());
  }

  close(): Promise<void> {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.terminate();
    // Idle keep-alive sockets would hold close() open until they time out.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }
}

/** An in-process connection (the head's own agent, node `nodeId`): the same messages, without a socket or a credential. */
export function loopback(handlers: Pick<PeerHandlers, 'onMessages' | 'onClose'>, nodeId: string): { peer: Peer; link: import('../client/transport.js').Transport } {
  let toAgent: ((msgs: Message[]) => void) | undefined;
  const closeHandlers: ((reason: string) => void)[] = [];
  const toAgentBatch = new Batcher<Message>((msgs) => toAgent?.(msgs));
  let closed = false;
  // Closed from either end, both ends hear of it once, as over a socket.
  const close = (reason: string) => {
    if (closed) return;
    closed = true;
    closeHandlers.forEach((h) => h(reason));
    handlers.onClose(peer);
  };
  const peer: Peer = {
    id: peerSeq++, identity: { kind: 'node', nodeId }, role: undefined, clientId: undefined, nodeId: undefined, jobId: undefined,
    send: (m) => { if (!closed) toAgentBatch.push(m); },
    close,
  };
  const toHead = new Batcher<Message>((msgs) => { if (!closed) handlers.onMessages(peer, msgs); });
  return {
    peer,
    link: {
      send: (msgs) => { for (const m of msgs) toHead.push(m); },
      onMessages: (h) => { toAgent = h; },
      onClose: (h) => { closeHandlers.push(h); },
      close: async () => close('closed by the agent'),
    },
  };
}

