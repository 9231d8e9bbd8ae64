import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import { afterEach, describe, it } from 'mocha';
import { WebSocket } from 'ws';
import type { Identity } from '../../../src/common/credentials.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { ControlPlane, listen } from '../../../src/head/control-plane.js';
import { protocolHeaders } from '../../../src/protocol/serial-format.js';
import { MAX_LIST_ITEMS } from '../../../src/protocol/shapes.js';
import { headHarness } from '../../helpers/head-harness.js';
import { helloAsDriver } from '../../helpers/raw-peer.js';

const TOKEN = 'secret-token';
const admit = (h: string | undefined): Identity | undefined => (h === `Bearer ${TOKEN}` ? { kind: 'operator' } : undefined);
const config = applyDefaults({ provider: { type: 'process' }, head_node_type: 'head', available_node_types: { head: { resources: { CPU: 1 } } } });

type Received = { type?: unknown; [k: string]: unknown }[];

/**
 * A driver on a raw socket: it puts one 1 KiB object, then sends `frames` (made from its client and job ids), then
 * a query; resolves with everything the head sent up to that query's reply, or how the head closed it.
 */
async function driverSends(address: string, frames: (ids: { client: string; jobId: string; object: string }) => unknown[][]) {
  const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const jobId = await helloAsDriver(ws, 'd1');
  const ids = { client: 'd1', jobId, object: 'd1.o1' };
  const received: Received = [];
  const done = new Promise<{ closed: { code: number; reason: string } | undefined }>((resolve) => {
    ws.on('message', (data: Buffer) => {
      received.push(...(deserialize(data) as Received));
      if (received.some((m) => m.type === 'query.reply' && m.reqId === 999)) resolve({ closed: undefined });
    });
    ws.once('close', (code, reason) => resolve({ closed: { code, reason: reason.toString() } }));
  });
  ws.send(serialize([{ type: 'put', id: ids.object, owner: 'd1', jobId, value: { kind: 'inline', data: new Uint8Array(1024).fill(7) } }]));
  for (const f of frames(ids)) ws.send(serialize(f));
  ws.send(serialize([{ type: 'query', reqId: 999, client: 'd1' }]));
  const r = await done;
  ws.close();
  return { ...r, received };
}

describe('a request repeated within one frame is answered once (a tiny frame cannot build a huge reply)', () => {
  let plane: ControlPlane | undefined;
  afterEach(async () => { await plane?.close(); plane = undefined; });

  async function serving() {
    const listener = await listen('127.0.0.1', 0);
    const h = headHarness({ config, clock: { now: () => 0 } });
    plane = new ControlPlane({ listener, admit, handlers: h.router, health: () => ({ ok: true }) });
    return { h, address: `127.0.0.1:${listener.port}` };
  }

  const ONCE: [string, (ids: { client: string; object: string }) => unknown[][]][] = [
    [`one fetch listing the same id ${MAX_LIST_ITEMS} times`, ({ client, object }) => [[{ type: 'fetch', client, ids: Array<string>(MAX_LIST_ITEMS).fill(object) }]]],
    ['20,000 fetches of the same id in one frame', ({ client, object }) => [Array.from({ length: 20_000 }, () => ({ type: 'fetch', client, ids: [object] }))]],
  ];
  for (const [title, frames] of ONCE) {
    it(`${title}: the object is sent once, and the connection carries on`, async () => {
      const { address } = await serving();
      const r = await driverSends(address, frames);
      assert.equal(r.closed, undefined, JSON.stringify(r.closed));
      assert.equal(r.received.filter((m) => m.type === 'object').length, 1);
    });
  }

  it('20,000 queries in one frame each get their reply, all built from one status', async () => {
    const { address } = await serving();
    const r = await driverSends(address, ({ client }) => [Array.from({ length: 20_000 }, (_, i) => ({ type: 'query', reqId: 1000 + i, client }))]);
    const replies = r.received.filter((m) => m.type === 'query.reply' && m.reqId !== 999);
    assert.equal(replies.length, 20_000);
    // A status shared by replies in one frame is serialized once and arrives as one object.
    assert.ok(new Set(replies.map((m) => m.status)).size <= 2, 'the replies share their status');
  });

  const REFUSED: [string, (ids: { client: string; jobId: string; object: string }) => unknown[], RegExp][] = [
    ['a fetch of more ids than a message may list', ({ client, object }) => [{ type: 'fetch', client, ids: Array<string>(MAX_LIST_ITEMS + 1).fill(object) }], /a malformed fetch message \(\/ids: expected array length to be less or equal to 100000\)/],
    ['a task with more dependencies than a message may list', ({ client, jobId, object }) => [{
      type: 'submit', task: { taskId: `${client}.t1`, jobId, owner: client, fn: 'f', name: 'f', args: [], deps: Array<string>(MAX_LIST_ITEMS + 1).fill(object), returnId: `${client}.t1.r`, resources: {}, maxRetries: 0, retryExceptions: false },
    }], /a malformed submit message \(\/task\/deps: expected array length to be less or equal to 100000\)/],
    ['a resources.request of more bundles than a message may list', ({ jobId }) => [{ type: 'resources.request', jobId, bundles: Array.from({ length: MAX_LIST_ITEMS + 1 }, () => ({ CPU: 1 })) }], /\/bundles: expected array length to be less or equal to 100000/],
  ];
  for (const [title, frame, why] of REFUSED) {
    it(`${title} closes that connection with the reason logged`, async () => {
      const { h, address } = await serving();
      const r = await driverSends(address, (ids) => [frame(ids)]);
      assert.equal(r.closed?.code, 1008, JSON.stringify(r.closed));
      assert.match(h.logged.join('\n'), why);
    });
  }
});
