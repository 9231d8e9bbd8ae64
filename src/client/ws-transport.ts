import { WebSocket } from 'ws';
import { FrameLink } from '../common/frame-link.js';
import { closeReason } from '../common/ws-close.js';
import { FRAME_LIMIT } from '../protocol/fragments.js';
import { type Message } from '../protocol/messages.js';
import { protocolHeaders } from '../protocol/serial-format.js';
import { RaylaunchRuntimeError } from './errors.js';
import type { Transport } from './transport.js';

/**
 * The largest frame taken from the head (reassembled from its chunks): an object relayed whole, a job's
 * working directory to an agent. The head is trusted; this only keeps a broken one from exhausting a client.
 */
const MAX_FROM_HEAD = 1024 * 1024 * 1024;

/** Connects to a head's control plane with a credential (the operator's, a node's or a job's); refusals come back as errors that say why. */
export async function wsTransport(address: string, token: string): Promise<Transport> {
  const url = address.startsWith('ws://') ? address : `ws://${address}`;
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${token}`, ...protocolHeaders() },
    perMessageDeflate: false,
    maxPayload: FRAME_LIMIT,
  });
  // Large frames (a put, a job with its working directory) go out in chunks the head's frame limit admits. A client
  // always reads: were both ends to stop reading while their own frames wait, neither would ever drain.
  const link = new FrameLink(ws, { maxMessage: MAX_FROM_HEAD });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => {
        ws.terminate();
        reject(new RaylaunchRuntimeError(res.statusCode === 401
          ? `the cluster at ${address} refused the credential (HTTP 401): use one this cluster issued (a submitted job's driver gets its own; the operator's is ~/.raylaunch/credentials/<name>)`
          : `the cluster at ${address} refused the connection (HTTP ${res.statusCode}): ${body.trim()}`));
      });
    });
    ws.once('error', (e) => reject(new RaylaunchRuntimeError(`cannot reach the cluster at ${address}: ${e.message}`)));
  });
  const closeHandlers: ((reason: string) => void)[] = [];
  let reason: string | undefined;
  // Every close handler hears one reason, once: ours when we closed it, else what the socket said.
  const closed = (why: string) => {
    if (reason !== undefined) return;
    reason = why;
    closeHandlers.forEach((h) => h(why));
  };
  ws.on('close', (code, text) => closed(text.toString() || `connection closed (${code})`));
  ws.on('error', () => { /* 'close' follows and reports it */ });
  /** A frame from the head that is malformed, or that fails here, closes the connection: never the process. */
  const refuse = (why: string) => {
    closed(why);
    ws.close(1008, closeReason(why));
  };
  return {
    send: (messages) => link.send(messages),
    onMessages: (handler) => {
      ws.removeAllListeners('message');
      ws.on('message', (data: Buffer) => {
        if (reason !== undefined) return;
        let msgs: Message[] | undefined;
        try {
          msgs = link.receive(data);
          if (!msgs) return;
        } catch (e) {
          return refuse(`the cluster at ${address} sent ${(e as Error).message}; closing the connection`);
        }
        try {
          handler(msgs);
        } catch (e) {
          refuse(`a message from the cluster at ${address} could not be handled (${(e as Error).message}); closing the connection`);
        }
      });
    },
    onClose: (handler) => { closeHandlers.push(handler); },
    close: () => new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close();
    }),
  };
}

export type { Message };
