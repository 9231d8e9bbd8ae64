import assert from 'node:assert/strict';
import { fork, type Serializable } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { afterEach, describe, it } from 'mocha';
import { type WebSocket, WebSocketServer } from 'ws';
import { RaylaunchRuntimeError } from '../../../src/client/errors.js';
import { Runtime } from '../../../src/client/runtime.js';
import type { Transport } from '../../../src/client/transport.js';
import { wsTransport } from '../../../src/client/ws-transport.js';
import type { Message } from '../../../src/protocol/messages.js';

/** A stand-in for the head that answers whatever a client sends with `reply` (raw v8 values, unchecked). */
async function fakeHead(reply: (from: Message[]) => unknown): Promise<{ address: string; server: WebSocketServer }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  server.on('connection', (ws: WebSocket) => ws.on('message', (data: Buffer) => {
    ws.send(serialize(reply(deserialize(data) as Message[])));
  }));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const closedWith = (t: Transport) => new Promise<string>((resolve) => t.onClose(resolve));

describe('a client\'s WebSocket to the head (wsTransport): what the head sends is checked', () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    for (const c of server?.clients ?? []) c.terminate();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });

  it('a malformed reply closes the connection, and what waits on it fails with an error saying why', async () => {
    const head = await fakeHead(() => [{ type: 'query.reply', reqId: 0, client: 'd', status: { nodes: 'none' } }]);
    server = head.server;
    const t = await wsTransport(head.address, 'token');
    const closed = closedWith(t);
    const rt = new Runtime(t, { role: 'driver', clientId: 'd', jobId: 'j', nodeId: 'h', inlineLimit: 1000, namespace: 'j' }, { output: { write: () => undefined } });
    await assert.rejects(rt.status(), (e: unknown) => e instanceof RaylaunchRuntimeError
      && /^lost the connection to the cluster: the cluster at 127\.0\.0\.1:\d+ sent a malformed query\.reply message \(\/status\/\w+: .*\); closing the connection$/.test(e.message));
    assert.match(await closed, /sent a malformed query\.reply message/);
  });

  it('a message its handler fails on closes the connection with the error, not the process', async () => {
    const head = await fakeHead(() => [{ type: 'warning', client: 'd', message: 'hi' }]);
    server = head.server;
    const t = await wsTransport(head.address, 'token');
    const closed = closedWith(t);
    t.onMessages(() => { throw new Error('boom'); });
    t.send([{ type: 'query', reqId: 0, client: 'd' }]);
    assert.match(await closed, /^a message from the cluster at 127\.0\.0\.1:\d+ could not be handled \(boom\); closing the connection$/);
  });
});

describe('a worker process\'s channel to its agent (ipcTransport): what the agent sends is checked', () => {
  const script = fileURLToPath(new URL('../../fixtures/ipc/echo-worker.ts', import.meta.url));
  const start = (...args: string[]) => {
    const child = fork(script, args, { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const heard: string[] = [];
    const waiters: [string, () => void][] = [];
    child.on('message', (msgs: Message[]) => {
      for (const m of msgs) {
        if (m.type !== 'warning') continue;
        heard.push(m.message);
        for (const [, done] of waiters.filter(([w]) => w === m.message)) done();
      }
    });
    const hears = (what: string) => new Promise<void>((resolve) => { if (heard.includes(what)) resolve(); else waiters.push([what, resolve]); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, hears, exited, stderr: () => stderr, heard };
  };

  const CASES: [string, string[], Serializable, RegExp][] = [
    ['a malformed message', [], [{ type: 'heartbeat', nodeId: 'n' }, { type: 'task.run' }], /closing the channel to the agent: the agent sent a malformed task\.run message \(\/task: expected required property\)/],
    ['a batch that is no list', [], { type: 'heartbeat', nodeId: 'n' }, /closing the channel to the agent: the agent sent expected a list of messages, got object/],
    ['a message its handler fails on', ['heartbeat'], [{ type: 'heartbeat', nodeId: 'n' }], /closing the channel to the agent: a message from the agent could not be handled \(no handler for heartbeat\)/],
  ];
  for (const [title, args, batch, why] of CASES) {
    it(`${title} closes the channel with the reason in the worker's log; the worker ends, nothing of the batch handled`, async () => {
      const w = start(...args);
      await w.hears('ready');
      w.child.send([{ type: 'fetch', client: 'x', ids: [] }]);
      await w.hears('fetch');
      w.child.send(batch);
      assert.equal(await w.exited, 0);
      assert.match(w.stderr(), why);
      assert.deepEqual(w.heard, ['ready', 'fetch'], 'nothing of the bad batch reached the handler');
    });
  }
});
