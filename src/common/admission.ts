import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROTOCOL_VERSION } from '../protocol/messages.js';

/**
 * Admission to raylaunch's listeners (the head's control plane, every node's object server): the cluster token
 * and the protocol version are checked on the upgrade request, before any message is read.
 */
const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries the cluster token; compares digests in constant time. */
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

