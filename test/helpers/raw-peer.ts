import { deserialize, serialize } from 'node:v8';
import { WebSocket } from 'ws';
import { protocolHeaders } from '../../src/protocol/serial-format.js';

export interface RawPeerResult {
  /** How the head closed the connection; undefined when `done` was satisfied first (the test closed it). */
  closed: { code: number; reason: string } | undefined;
  /** Every message the head sent, decoded without any check. */
  received: { type?: unknown; [k: string]: unknown }[];
}

/**
 * A connection to the head that holds the token but speaks the protocol as a test likes: each frame is whatever
 * value is given, v8-serialized as the real peers do, sent in order once the socket opens. Resolves when the head
 * closes it, or when `done` holds for what arrived (then it is closed here); rejects after `timeoutMs`.
 */
export function rawPeer(address: string, token: string, frames: readonly unknown[], o: { done?: (received: RawPeerResult['received']) => boolean; timeoutMs?: number } = {}): Promise<RawPeerResult> {
  const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${token}`, ...protocolHeaders() } });
  const received: RawPeerResult['received'] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`the head neither closed the connection nor answered as expected within ${o.timeoutMs ?? 15_000} ms; got ${JSON.stringify(received.map((m) => m.type))}`));
    }, o.timeoutMs ?? 15_000);
    ws.once('open', () => { for (const f of frames) ws.send(serialize(f)); });
    ws.on('message', (data: Buffer) => {
      received.push(...(deserialize(data) as RawPeerResult['received']));
      if (o.done?.(received)) {
        clearTimeout(timer);
        ws.close();
        resolve({ closed: undefined, received });
      }
    });
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ closed: { code, reason: reason.toString() }, received });
    });
    ws.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Sends a driver's hello on an open socket and resolves the job the head's welcome gives that driver. */
export function helloAsDriver(ws: WebSocket, clientId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer) => {
      const msgs = deserialize(data) as { type?: unknown; jobId?: unknown }[];
      const welcome = msgs.find((m) => m.type === 'welcome');
      if (typeof welcome?.jobId === 'string') resolve(welcome.jobId);
      else reject(new Error(`the head answered a driver's hello with ${JSON.stringify(msgs.map((m) => m.type))}, not a welcome naming its job`));
    });
    ws.send(serialize([{ type: 'hello', role: 'driver', clientId }]));
  });
}
