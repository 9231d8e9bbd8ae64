import type { Server } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { Batcher } from '../common/batcher.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { Message, Role } from '../protocol/messages.js';
import { guardedServer } from '../common/admission.js';

/** One connection to the head: a node's agent, a driver or a CLI (or the head's own agent, in process). */
export interface Peer {
  readonly id: number;
  role: Role | undefined;
  clientId: string | undefined;
  nodeId: string | undefined;
  send(m: Message): void;
  close(reason: string): void;
}

export interface PeerHandlers {
  onMessages(peer: Peer, msgs: Message[]): void;
  onClose(peer: Peer): void;
}

export interface ControlPlaneOptions extends PeerHandlers {
  host: string;
  port: number;
  token: string;
  /** What GET /health answers (no secrets). */
  health(): Record<string, unknown>;
}

let peerSeq = 0;

/**
 * The head's one listening port: WebSocket for the cluster's own traffic and plain HTTP (health). A connection
 * without the cluster token is refused with 401 during the upgrade, before any message is read.
 */
export class ControlPlane {
  private readonly server: Server;
  private readonly wss: WebSocketServer;

  constructor(private readonly o: ControlPlaneOptions) {
    ({ server: this.server, wss: this.wss } = guardedServer({ token: o.token, maxPayload: 256 * 1024 * 1024, health: o.health, accept: (ws) => this.accept(ws) }));
  }

  private accept(ws: WebSocket): void {
    const out = new Batcher<Message>((msgs) => ws.send(encodeFrame(msgs)));
    const peer: Peer = {
      id: peerSeq++, role: undefined, clientId: undefined, nodeId: undefined,
      send: (m) => { if (ws.readyState === ws.OPEN) out.push(m); },
      close: (reason) => { out.flushNow(); ws.close(1008, reason.slice(0, 120)); },
    };
    ws.on('message', (data: Buffer) => {
      let msgs: Message[];
      try {
        msgs = decodeFrame(data);
      } catch (e) {
        return peer.close((e as Error).message);
      }
      this.o.onMessages(peer, msgs);
    });
    ws.on('close', () => this.o.onClose(peer));
    ws.on('error', () => ws.terminate());
  }

  /** Starts listening; resolves to the port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.o.port);
      });
    });
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    // Idle keep-alive sockets would hold close() open until they time out.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }
}

/** An in-process connection (the head's own agent): the same messages, without a socket. */
export function loopback(handlers: PeerHandlers): { peer: Peer; link: import('../client/transport.js').Transport } {
  let toAgent: ((msgs: Message[]) => void) | undefined;
  const closeHandlers: ((reason: string) => void)[] = [];
  const toAgentBatch = new Batcher<Message>((msgs) => toAgent?.(msgs));
  const peer: Peer = {
    id: peerSeq++, role: undefined, clientId: undefined, nodeId: undefined,
    send: (m) => toAgentBatch.push(m),
    close: (reason) => closeHandlers.forEach((h) => h(reason)),
  };
  const toHead = new Batcher<Message>((msgs) => handlers.onMessages(peer, msgs));
  return {
    peer,
    link: {
      send: (msgs) => { for (const m of msgs) toHead.push(m); },
      onMessages: (h) => { toAgent = h; },
      onClose: (h) => { closeHandlers.push(h); },
      close: async () => handlers.onClose(peer),
    },
  };
}

