import assert from 'node:assert/strict';
import type { Identity } from '../../../src/common/credentials.js';
import { afterEach, describe, it } from 'mocha';
import { handshake } from '../../../src/client/connect.js';
import type { Transport } from '../../../src/client/transport.js';
import { wsTransport } from '../../../src/client/ws-transport.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { ControlPlane, listen, loopback, type Peer, type TrafficMeter } from '../../../src/head/control-plane.js';
import { type Message } from '../../../src/protocol/messages.js';
import { formatHeader, LOCAL_FORMAT, protocolHeaders, SERIAL_HEADER } from '../../../src/protocol/serial-format.js';
import { WebSocket } from 'ws';
import { rawPeer } from '../../helpers/raw-peer.js';
import { headHarness } from '../../helpers/head-harness.js';

const TOKEN = 'secret-token';
/** The credential table of these tests: TOKEN is the operator's. */
const admit = (h: string | undefined): Identity | undefined => (h === `Bearer ${TOKEN}` ? { kind: 'operator' } : undefined);
const config = applyDefaults({ provider: { type: 'process' }, head_node_type: 'head', available_node_types: { head: { resources: { CPU: 1 } } } });

/** The next messages of one type a transport receives. */
function next(t: Transport, type: Message['type']): Promise<Message> {
  return new Promise((resolve) => t.onMessages((msgs) => { const m = msgs.find((x) => x.type === type); if (m) resolve(m); }));
}

describe('control plane (a real socket on loopback, the head\'s router behind it)', () => {
  let plane: ControlPlane | undefined;
  afterEach(async () => { await plane?.close(); plane = undefined; });

  it('a bound port answers "starting" until the control plane takes it (a peer tries again, never hangs); then the head answers', async () => {
    const listener = await listen('127.0.0.1', 0);
    await assert.rejects(wsTransport(`127.0.0.1:${listener.port}`, TOKEN), /HTTP 503\): the head is starting/);
    const health = await fetch(`http://127.0.0.1:${listener.port}/health`);
    assert.equal(health.status, 503);
    await health.text();
    const h = headHarness({ config, clock: { now: () => 0 } });
    plane = new ControlPlane({ listener, admit, handlers: h.router, health: () => ({ ok: true }) });
    const t = await wsTransport(`127.0.0.1:${listener.port}`, TOKEN);
    const welcome = await handshake(t, { type: 'hello', role: 'cli', clientId: 'cli' });
    assert.equal(welcome.clusterName, 'sim');
    await t.close();
    assert.equal((await fetch(`http://127.0.0.1:${listener.port}/health`)).status, 200);
  });

  it('a peer on a Node.js of another serialization format is refused at connect, both Node.js versions named', async () => {
    const listener = await listen('127.0.0.1', 0);
    const h = headHarness({ config, clock: { now: () => 0 } });
    plane = new ControlPlane({ listener, admit, handlers: h.router, health: () => ({ ok: true }) });
    const headers = { authorization: `Bearer ${TOKEN}`, ...protocolHeaders(), [SERIAL_HEADER]: formatHeader({ v8: LOCAL_FORMAT.v8 + 1, node: 'v99.0.0' }) };
    const ws = new WebSocket(`ws://127.0.0.1:${listener.port}`, { headers });
    ws.on('error', () => undefined); // terminate() below reports the refused handshake as an error too
    const refused = await new Promise<{ status: number; body: string }>((resolve) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    ws.terminate();
    assert.equal(refused.status, 426);
    assert.match(refused.body, new RegExp(`client runs Node\\.js v99\\.0\\.0 .* this cluster Node\\.js ${process.version.replace(/\./g, '\\.')}`));
  });

  it('counts its traffic both ways into its meter: messages by type and the bytes of each frame', async () => {
    const listener = await listen('127.0.0.1', 0);
    const h = headHarness({ config, clock: { now: () => 0 } });
    const counted = { in: [] as string[], out: [] as string[], bytesIn: 0, bytesOut: 0 };
    const traffic: TrafficMeter = {
      received: (msgs, bytes) => { counted.in.push(...msgs.map((m) => m.type)); counted.bytesIn += bytes; },
      sent: (msgs, bytes) => { counted.out.push(...msgs.map((m) => m.type)); counted.bytesOut += bytes; },
    };
    plane = new ControlPlane({ listener, admit, handlers: h.router, health: () => ({ ok: true }), traffic });
    const cli = await wsTransport(`127.0.0.1:${listener.port}`, TOKEN);
    await handshake(cli, { type: 'hello', role: 'cli', clientId: 'cli' });
    const reply = next(cli, 'query.reply');
    cli.send([{ type: 'query', reqId: 7, client: 'cli' }]);
    await reply;
    await cli.close();
    assert.deepEqual(counted.in, ['hello', 'query']);
    assert.deepEqual(counted.out, ['welcome', 'query.reply']);
    assert.ok(counted.bytesIn > 0 && counted.bytesOut > counted.bytesIn, JSON.stringify(counted));
  });

  it('a message of the wrong role closes that connection with the reason; another connection carries on', async () => {
    const listener = await listen('127.0.0.1', 0);
    const h = headHarness({ config, clock: { now: () => 0 } });
    plane = new ControlPlane({ listener, admit, handlers: h.router, health: () => ({ ok: true }) });
    const address = `127.0.0.1:${listener.port}`;
    const intruder = await wsTransport(address, TOKEN);
    await handshake(intruder, { type: 'hello', role: 'driver', clientId: 'd1' });
    const cli = await wsTransport(address, TOKEN);
    await handshake(cli, { type: 'hello', role: 'cli', clientId: 'cli' });

    const closed = new Promise<string>((resolve) => intruder.onClose(resolve));
    intruder.send([{ type: 'workers.down', reqId: 1, client: 'd1', keepMinWorkers: false }]);
    assert.equal(await closed, 'a driver may not send workers.down');
    assert.match(h.logged.join('\n'), /\(driver d1\): a driver may not send workers\.down/);

    const reply = next(cli, 'query.reply');
    cli.send([{ type: 'query', reqId: 7, client: 'cli' }]);
    assert.equal((await reply).type, 'query.reply');
    await cli.close();
  });
});

describe('control plane: malformed frames (a real socket, a peer holding the token)', () => {
  let plane: ControlPlane | undefined;
  afterEach(async () => { await plane?.close(); plane = undefined; });

  async function serving() {
    const listener = await listen('127.0.0.1', 0);
    const h = headHarness({ config, clock: { now: () => 0 } });
    plane = new ControlPlane({ listener, admit, handlers: h.router, health: () => ({ ok: true }) });
    return { h, address: `127.0.0.1:${listener.port}` };
  }

  const task = { taskId: 't', jobId: 'j', owner: 'd1', fn: 'f', name: 'bad', args: [], deps: [], returnId: 't.r', resources: null, maxRetries: 0, retryExceptions: false };
  const FRAMES: [string, unknown[], RegExp][] = [
    ['a submit whose task has no resources map', [[{ type: 'hello', role: 'driver', clientId: 'd1' }, { type: 'submit', task }]], /^a malformed submit message \(\/task\/resources: /],
    // Its reason (the type, quoted) is longer than a close frame holds in bytes: cut for the frame, whole in the log.
    ['a message whose type is a long name in another script', [[{ type: 'hello', role: 'cli', clientId: 'c1' }], [{ type: 'é'.repeat(100) }]], /^no message has the type "é{60}"$/],
    ['bytes that are no v8 value', [], /^malformed frame: /],
  ];
  for (const [title, frames, why] of FRAMES) {
    it(`${title}: closes that connection before any of its frame is handled, with the reason logged; another carries on`, async () => {
      const { h, address } = await serving();
      const cli = await wsTransport(address, TOKEN);
      await handshake(cli, { type: 'hello', role: 'cli', clientId: 'cli' });
      const r = frames.length > 0 ? await rawPeer(address, TOKEN, frames) : await rawBytes(address, new Uint8Array([0xff, 0x0f, 0x6f]));
      assert.equal(r.closed?.code, 1008);
      const line = h.logged.find((l) => l.includes('closing connection')) ?? '';
      assert.match(line.replace(/^closing connection \d+ \([^)]*\): /, ''), why);
      assert.ok(Buffer.byteLength(r.closed.reason) <= 123 && line.includes(r.closed.reason), r.closed.reason);
      assert.equal(h.readModel.status(null).tasks.pending, 0, 'nothing of the frame was handled');
      const reply = next(cli, 'query.reply');
      cli.send([{ type: 'query', reqId: 7, client: 'cli' }]);
      assert.equal((await reply).type, 'query.reply');
      await cli.close();
    });
  }
});

/** Raw bytes as one frame from a peer holding the token; resolves with how the head closed the connection. */
function rawBytes(address: string, bytes: Uint8Array): Promise<{ closed: { code: number; reason: string } }> {
  const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
  ws.once('open', () => ws.send(bytes));
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ closed: { code, reason: reason.toString() } })));
}

describe('in-process connection (loopback)', () => {
  it('closed by the head, both ends hear of it once, and nothing more passes', () => {
    const heard: string[] = [];
    const { peer, link } = loopback({ onMessages: (_p, msgs) => heard.push(...msgs.map((m) => `head got ${m.type}`)), onClose: (p: Peer) => heard.push(`head closed ${p.id}`) }, 'head');
    link.onClose((reason) => heard.push(`agent closed: ${reason}`));
    peer.close('refused');
    peer.close('again');
    void link.close();
    assert.deepEqual(heard, ['agent closed: refused', `head closed ${peer.id}`]);
  });
});
