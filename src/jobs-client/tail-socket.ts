import WebSocket from 'ws';
import type { TailFrame } from './types.js';
import { errorFor, HeadUnreachableError, type JobsApiError } from './errors.js';

/** What one tail connection gives: its frames, then how it closed. */
export type TailItem = { opened: true } | { frame: TailFrame } | { closed: { code: number; reason: string } };

/**
 * One WebSocket to GET /api/jobs/{id}/logs/tail as an async iterator of its frames, ending with its close. An
 * upgrade the head refuses throws the typed error of its status; one that never connects, HeadUnreachableError.
 */
export async function* tailSocket(url: string, token: string): AsyncGenerator<TailItem> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, maxPayload: 64 * 1024 * 1024 });
  const queue: (TailItem | { error: JobsApiError })[] = [];
  let wake: (() => void) | undefined;
  const push = (item: TailItem | { error: JobsApiError }) => {
    queue.push(item);
    wake?.();
  };
  let opened = false;
  ws.on('open', () => {
    opened = true;
    push({ opened: true });
  });
  ws.on('message', (data: WebSocket.RawData) => {
    try {
      push({ frame: JSON.parse(data.toString()) as TailFrame });
    } catch {
      push({ error: new HeadUnreachableError('the head sent a log frame that is not JSON', 0) });
    }
  });
  ws.on('unexpected-response', (_req, res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => { if (body.length < 4096) body += c; });
    res.on('end', () => push({ error: errorFor(res.statusCode ?? 0, body.trim() || `the head answered ${res.statusCode ?? 0}`) }));
    res.on('error', () => push({ error: errorFor(res.statusCode ?? 0, `the head answered ${res.statusCode ?? 0}`) }));
  });
  ws.on('error', (e) => {
    if (!opened) push({ error: new HeadUnreachableError(`cannot reach the head: ${e.message}`, 0, { cause: e }) });
  });
  ws.on('close', (code, reason) => push({ closed: { code, reason: reason.toString() } }));
  try {
    for (;;) {
      const item = queue.shift();
      if (!item) {
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
        continue;
      }
      if ('error' in item) throw item.error;
      yield item;
      if ('closed' in item) return;
    }
  } finally {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
  }
}
