import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../protocol/messages.js';
import { SERIAL_HEADER, serialRefusal } from '../protocol/serial-format.js';

/**
 * Admission to raylaunch's listeners (the head's control plane, every node's object server): the credential
 * and the protocol version are checked on the upgrade request, before any message is read.
 */
export const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries the one expected credential; compares digests in constant time. */
export function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), expected);
}

/** Why a peer of another protocol version is refused, naming the side to upgrade. */
export function versionRefusal(header: string | string[] | undefined): string | undefined {
  const theirs = Number(Array.isArray(header) ? header[0] : header);
  if (theirs === PROTOCOL_VERSION) return undefined;
  if (!Number.isInteger(theirs)) return `the client did not say which raylaunch protocol it speaks (this cluster speaks ${PROTOCOL_VERSION}): upgrade the client`;
  return theirs < PROTOCOL_VERSION
    ? `the client speaks raylaunch protocol ${theirs}, this cluster ${PROTOCOL_VERSION}: upgrade the client (the raylaunch CLI, or the raylaunch package the job uses)`
    : `the client speaks raylaunch protocol ${theirs}, this cluster ${PROTOCOL_VERSION}: upgrade the cluster (raylaunch down, then raylaunch up with the newer raylaunch)`;
}

/** Answers an upgrade request with an HTTP error and closes it: nothing of the peer's is read. */
export function refuse(socket: Duplex, code: number, text: string): void {
  const body = `${text}\n`;
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  socket.destroy();
}


/** HTTP routes a listener serves beside its own (the head's Jobs API, metrics and dashboard). */
export interface HttpRoutes {
  /** Serves a request it knows and returns true; false leaves it to the listener (404). */
  request(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes an upgrade to a path it knows (the socket is its own from then on) and returns true; false leaves it to the listener's WebSocket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface GuardedServer {
  server: Server;
  wss: WebSocketServer;
}

/**
 * An HTTP server (GET /health answers `health()`) whose WebSocket upgrades are admitted only when `admit` knows
 * the Authorization header's credential and the peer speaks this protocol version; admitted sockets go to
 * `accept` with who `admit` said they are. `server`: one already listening, to serve from now on (else a new one).
 */
export function guardedServer<Who>(o: {
  admit(authorization: string | undefined): Who | undefined; refusedText: string; maxPayload: number; health(): Record<string, unknown>; accept(ws: WebSocket, who: Who): void; server?: Server;
  /** Why no more connections are taken now (answered 503), or undefined while they are. */
  full?(): string | undefined;
  /** Routes served before the 404 and before the listener's own upgrade. */
  routes?: HttpRoutes;
}): GuardedServer {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: o.maxPayload });
  const server = o.server ?? createServer();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(o.health()));
      return;
    }
    if (o.routes?.request(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (o.routes?.upgrade(req, socket, head)) return;
    const who = o.admit(req.headers.authorization);
    if (who === undefined) return refuse(socket, 401, o.refusedText);
    const refusal = versionRefusal(req.headers[PROTOCOL_HEADER]);
    if (refusal) return refuse(socket, 426, refusal);
    // Checked at connect: a peer on a Node.js whose frames this one cannot read would otherwise fail mid-session.
    const unreadable = serialRefusal(req.headers[SERIAL_HEADER]);
    if (unreadable) return refuse(socket, 426, unreadable);
    const full = o.full?.();
    if (full !== undefined) return refuse(socket, 503, full);
    wss.handleUpgrade(req, socket, head, (ws) => o.accept(ws, who));
  });
  return { server, wss };
}
