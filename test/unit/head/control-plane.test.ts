import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { handshake } from '../../../src/client/connect.js';
import type { Transport } from '../../../src/client/transport.js';
import { wsTransport } from '../../../src/client/ws-transport.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { ControlPlane, listen, loopback, type Peer } from '../../../src/head/control-plane.js';
import type { Message } from '../../../src/protocol/messages.js';
import { headHarness } from '../../helpers/head-harness.js';

const TOKEN = 'secret-token';
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
    plane = new ControlPlane({ listener, token: TOKEN, handlers: h.router, health: () => ({ ok: true }) });
    const t = await wsTransport(`127.0.0.1:${listener.port}`, TOKEN);
    const welcome = await handshake(t, { type: 'hello', role: 'cli', clientId: 'cli' });
    assert.equal(welcome.clusterName, 'sim');
    await t.close();
    assert.equal((await fetch(`http://127.0.0.1:${listener.port}/health`)).status, 200);
  });

  it('a message of the wrong role closes that connection with the reason; another connection carries on', async () => {
    const listener = await listen('127.0.0.1', 0);
    const h = headHarness({ config, clock: { now: () => 0 } });
    plane = new ControlPlane({ listener, token: TOKEN, handlers: h.router, health: () => ({ ok: true }) });
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

describe('in-process connection (loopback)', () => {
  it('closed by the head, both ends hear of it once, and nothing more passes', () => {
    const heard: string[] = [];
    const { peer, link } = loopback({ onMessages: (_p, msgs) => heard.push(...msgs.map((m) => `head got ${m.type}`)), onClose: (p: Peer) => heard.push(`head closed ${p.id}`) });
    link.onClose((reason) => heard.push(`agent closed: ${reason}`));
    peer.close('refused');
    peer.close('again');
    void link.close();
    assert.deepEqual(heard, ['agent closed: refused', `head closed ${peer.id}`]);
  });
});
