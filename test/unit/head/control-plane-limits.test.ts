import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { WebSocket } from 'ws';
import { handshake } from '../../../src/client/connect.js';
import type { Transport } from '../../../src/client/transport.js';
import { wsTransport } from '../../../src/client/ws-transport.js';
import type { Identity } from '../../../src/common/credentials.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { ControlPlane, type ControlPlaneLimits, listen } from '../../../src/head/control-plane.js';
import { encodeFrame } from '../../../src/protocol/codec.js';
import { CHUNK_BYTES, FRAME_LIMIT } from '../../../src/protocol/fragments.js';
import { type Message } from '../../../src/protocol/messages.js';
import { protocolHeaders } from '../../../src/protocol/serial-format.js';
import { headHarness } from '../../helpers/head-harness.js';
import { helloAsDriver } from '../../helpers/raw-peer.js';
import { until } from '../../helpers/until.js';

const TOKEN = 'secret-token';
const admit = (h: string | undefined): Identity | undefined => (h === `Bearer ${TOKEN}` ? { kind: 'operator' } : undefined);
const MIB = 1024 * 1024;
const config = applyDefaults({ provider: { type: 'process' }, head_node_type: 'head', available_node_types: { head: { resources: { CPU: 1 } } } });

describe('control plane limits (a real socket on loopback, the head\'s router behind it)', () => {
  let plane: ControlPlane | undefined;
  const open: Transport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await plane?.close();
    plane = undefined;
  });

  async function serving(limits: Partial<ControlPlaneLimits> = {}) {
    const listener = await listen('127.0.0.1', 0);
    const h = headHarness({ config, clock: { now: () => 0 } });
    plane = new ControlPlane({ listener, admit, handlers: h.router, health: () => ({ ok: true }), limits });
    return { h, plane, address: `127.0.0.1:${listener.port}` };
  }

  async function client(address: string, role: 'cli' | 'driver', clientId: string): Promise<Transport & { jobId: string }> {
    const t = await wsTransport(address, TOKEN);
    open.push(t);
    const welcome = await handshake(t, { type: 'hello', role, clientId });
    return Object.assign(t, { jobId: welcome.jobId ?? '' });
  }

  /** A query answered: the connection works, and everything it sent before was handled. */
  async function answers(t: Transport, client: string): Promise<void> {
    const reply = new Promise<Message>((resolve) => t.onMessages((msgs) => { const m = msgs.find((x) => x.type === 'query.reply'); if (m) resolve(m); }));
    t.send([{ type: 'query', reqId: 1, client }]);
    assert.equal((await reply).type, 'query.reply');
  }

  it('connections past raylaunch.max_connections are refused with 503 and the reason; the earlier ones keep working', async () => {
    const { address } = await serving({ maxConnections: 2 });
    const a = await client(address, 'cli', 'a');
    const b = await client(address, 'driver', 'b');
    await assert.rejects(wsTransport(address, TOKEN), /HTTP 503\): the head has 2 connections open, its limit \(raylaunch\.max_connections\)/);
    await answers(a, 'a');
    await answers(b, 'b');
    await b.close();
    await until('the closed connection to be gone', 5000, () => (plane?.connections === 1 ? true : undefined));
    await client(address, 'cli', 'c');
  });

  it('a 40 MB put from a driver arrives whole, in WebSocket messages of at most one chunk', async () => {
    const { h, plane: p, address } = await serving();
    const driver = await client(address, 'driver', 'd1');
    const data = new Uint8Array(40_000_000).map((_, i) => i % 251);
    driver.send([{ type: 'put', id: 'd1.big', owner: 'd1', jobId: driver.jobId, value: { kind: 'inline', data } }]);
    await answers(driver, 'd1');
    const kept = h.head.objects.get('d1.big');
    assert.deepEqual(kept?.kind === 'inline' ? kept.data : kept, data);
    assert.ok(p.largestMessage <= CHUNK_BYTES + 7, `largest message ${p.largestMessage}`);
  });

  it('a whole frame past the frame limit (16 MiB) is refused from its header (1009), and the sender alone is closed', async () => {
    const { address } = await serving();
    const cli = await client(address, 'cli', 'cli');
    const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
    ws.once('open', () => ws.send(Buffer.alloc(FRAME_LIMIT + 1)));
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    assert.equal(code, 1009);
    await answers(cli, 'cli');
  });

  it('a peer that never reads is closed once what waits for it passes the bound, with the reason logged; others carry on', async () => {
    const bound = 16 * MIB;
    const { h, address } = await serving({ maxMessageBytes: bound, highWater: 4 * MIB });
    const cli = await client(address, 'cli', 'cli');
    const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
    await new Promise((resolve) => ws.once('open', resolve));
    const jobId = await helloAsDriver(ws, 'slow');
    ws.pause(); // reads nothing more, ever
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    // 40 objects of 2 MB fetched back: 80 MB of answers that it will not read.
    const ids = Array.from({ length: 40 }, (_, i) => `slow.o${i}`);
    for (const id of ids) ws.send(encodeFrame([{ type: 'put', id, owner: 'slow', jobId, value: { kind: 'inline', data: new Uint8Array(2 * MIB) } }]));
    ws.send(encodeFrame([{ type: 'fetch', client: 'slow', ids } satisfies Message]));
    const line = await until('the slow reader to be closed', 20_000, () => h.logged.find((l) => l.includes('does not read')));
    const waiting = Number(/(\d+\.\d) MiB wait unwritten/.exec(line)?.[1]);
    assert.ok(waiting * MIB <= bound, line);
    ws.resume();
    await closed;
    await answers(cli, 'cli');
  });

  it('a peer that answers no ping (its network dropped without a close) is cut, with the reason logged; one that answers stays', async () => {
    const { h, address } = await serving({ pingMs: 50 });
    const live = await client(address, 'cli', 'live');
    const silent = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() }, autoPong: false });
    await new Promise((resolve) => silent.once('open', resolve));
    await helloAsDriver(silent, 'silent');
    let pings = 0;
    silent.on('ping', () => { pings += 1; });
    const closed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    await closed;
    assert.ok(pings >= 1, 'it was pinged before it was cut');
    assert.ok(h.logged.some((l) => l.includes('silent') && l.includes('answered no ping')), h.logged.join('\n'));
    await answers(live, 'live');
  });
});
