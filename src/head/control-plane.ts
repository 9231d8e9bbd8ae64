import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { Batcher } from '../common/batcher.js';
import { closeReason } from '../common/ws-close.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { Message, Role } from '../protocol/messages.js';
import { guardedServer, refuse } from '../common/admission.js';
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
}

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

  constructor(private readonly o: ControlPlaneOptions) {
    ({ server: this.server, wss: this.wss } = guardedServer({
      server: o.listener.take(), admit: o.admit, refusedText: 'a credential of this cluster is required (the operator\'s, a node\'s or a job\'s)',
      maxPayload: 256 * 1024 * 1024, health: o.health, accept: (ws, who) => this.accept(ws, who),
    }));
  }

  private accept(ws: WebSocket, identity: Identity): void {
    const out = new Batcher<Message>((msgs) => ws.send(encodeFrame(msgs)));
    const peer: Peer = {
      id: peerSeq++, identity, role: undefined, clientId: undefined, nodeId: undefined, jobId: identity.kind === 'job' ? identity.jobId : undefined,
      send: (m) => { if (ws.readyState === ws.OPEN) out.push(m); },
      close: (reason) => { out.flushNow(); ws.close(1008, closeReason(reason)); },
    };
    ws.on('message', (data: Buffer) => {
      let msgs: Message[];
      try {
        msgs = decodeFrame(data);
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
    ws.on('close', () => this.o.handlers.onClose(peer));
    ws.on('error', () => ws.terminate());
  }

  close(): Promise<void> {
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

