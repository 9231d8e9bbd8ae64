import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serialize } from 'node:v8';
import { afterEach, describe, it } from 'mocha';
import { WebSocket, WebSocketServer } from 'ws';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../../src/protocol/messages.js';
import { protocolHeaders } from '../../../src/protocol/serial-format.js';
import { ObjectFetcher } from '../../../src/worker/object-fetcher.js';
import { CHUNK_LIMIT, decodeObjectFrame, encodeObjectFrame, ObjectServer } from '../../../src/worker/object-server.js';
import { ObjectStore } from '../../../src/worker/object-store.js';
import { until } from '../../helpers/until.js';

const TOKEN = 'object-token';
const MiB = 1024 * 1024;

/** Bytes that differ at every offset within a chunk and across chunks, so a misplaced chunk cannot compare equal. */
function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed | 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b.writeUInt32LE(x, i);
  }
  for (let i = size - (size % 4); i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** A store that counts lookups: every chunk request the server handles does one. */
class CountingStore extends ObjectStore {
  gets = 0;
  override get(id: string): Uint8Array | undefined {
    this.gets++;
    return super.get(id);
  }
}

describe('object transfer (ObjectServer + ObjectFetcher)', () => {
  const servers: ObjectServer[] = [];
  const fetchers: ObjectFetcher[] = [];

  afterEach(async () => {
    await Promise.all(fetchers.splice(0).map((f) => f.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function node(objects: Record<string, Uint8Array> = {}): Promise<{ server: ObjectServer; store: CountingStore; address: string }> {
    const store = new CountingStore();
    for (const [id, data] of Object.entries(objects)) store.put(id, data, 'job-1');
    const server = new ObjectServer({ host: '127.0.0.1', port: 0, token: TOKEN, store });
    servers.push(server);
    const port = await server.listen();
    return { server, store, address: `127.0.0.1:${port}` };
  }

  function fetcher(opts: Partial<ConstructorParameters<typeof ObjectFetcher>[0]> = {}): ObjectFetcher {
    const f = new ObjectFetcher({ token: TOKEN, ...opts });
    fetchers.push(f);
    return f;
  }

  const SIZES: [string, number][] = [
    ['an empty object', 0],
    ['a small object (1 KiB)', 1024],
    ['exactly one chunk', CHUNK_LIMIT],
    ['one chunk and a byte', CHUNK_LIMIT + 1],
  ];
  for (const [name, size] of SIZES) {
    for (const hinted of [false, true]) {
      it(`${name} arrives byte-identical${hinted ? ' (with a size hint)' : ''}`, async () => {
        const data = pattern(size, size + 7);
        const { server, address } = await node({ obj: data });
        const got = await fetcher().fetch(address, 'obj', hinted ? size : undefined);
        assert.ok(got);
        assert.equal(got.byteLength, size);
        assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(data));
        assert.equal(server.bytesServed, size);
        assert.equal(server.requestsServed, Math.max(1, Math.ceil(size / CHUNK_LIMIT)));
      });
    }
  }

  it('a 100 MiB object arrives byte-identical, never more than 8 MiB per chunk', async function () {
    this.timeout(60_000);
    const size = 100 * MiB;
    const data = pattern(size, 42);
    const { server, store, address } = await node({ big: data });
    const f = fetcher();
    const started = process.hrtime.bigint();
    const got = await f.fetch(address, 'big', size);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`      100 MiB over loopback: ${(size / MiB / seconds).toFixed(0)} MB/s (${(seconds * 1000).toFixed(0)} ms)`);
    assert.ok(got);
    assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(data));
    assert.equal(server.bytesServed, size);
    assert.equal(server.requestsServed, Math.ceil(size / CHUNK_LIMIT));
    assert.equal(store.gets, Math.ceil(size / CHUNK_LIMIT));
    assert.ok(server.largestChunk <= CHUNK_LIMIT, `largest chunk ${server.largestChunk}`);
  });

  it('a fetcher asking for bigger chunks is capped at 8 MiB; smaller chunks split the object finer', async () => {
    const size = 3 * MiB + 5;
    const data = pattern(size, 3);
    const { server, address } = await node({ obj: data });
    const got = await fetcher({ chunkBytes: MiB, window: 2 }).fetch(address, 'obj');
    assert.ok(got && Buffer.from(got).equals(data));
    assert.equal(server.requestsServed, 4);
    assert.equal(server.largestChunk, MiB);
    // The fetcher clamps too, so the over-large request never reaches the server.
    const big = pattern(CHUNK_LIMIT * 2, 9);
    const other = await node({ big });
    const got2 = await fetcher({ chunkBytes: 64 * MiB }).fetch(other.address, 'big');
    assert.ok(got2 && Buffer.from(got2).equals(big));
    assert.equal(other.server.requestsServed, 2);
    assert.equal(other.server.largestChunk, CHUNK_LIMIT);
  });

  it('the server caps a request for more than 8 MiB at 8 MiB, whatever the peer asks', async () => {
    const data = pattern(CHUNK_LIMIT * 3, 8);
    const { server, address } = await node({ obj: data });
    const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const reply = new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
      ws.send(encodeObjectFrame({ type: 'chunk.get', reqId: 7, id: 'obj', offset: 5, length: CHUNK_LIMIT * 3 }));
      const { header, payload } = decodeObjectFrame(await reply);
      assert.deepEqual(header, { type: 'chunk', reqId: 7, id: 'obj', offset: 5, total: CHUNK_LIMIT * 3 });
      assert.ok(Buffer.concat(payload).equals(data.subarray(5, 5 + CHUNK_LIMIT)));
      assert.equal(server.largestChunk, CHUNK_LIMIT);
    } finally {
      ws.terminate();
    }
  });

  it('a wrong size hint still yields the whole object', async () => {
    const data = pattern(CHUNK_LIMIT * 2 + 10, 5);
    const { address } = await node({ obj: data });
    const f = fetcher();
    for (const hint of [1, CHUNK_LIMIT * 10]) {
      const got = await f.fetch(address, 'obj', hint);
      assert.ok(got && Buffer.from(got).equals(data), `hint ${hint}`);
    }
  });

  it('a missing id is undefined', async () => {
    const { address } = await node({ other: pattern(10, 1) });
    assert.equal(await fetcher().fetch(address, 'nope'), undefined);
  });

  const REFUSED: [string, string][] = [
    ['no token', ''],
    ['a wrong token', 'not-the-token'],
  ];
  for (const [name, token] of REFUSED) {
    it(`${name} is refused with 401 before any chunk request is handled`, async () => {
      const { server, store, address } = await node({ obj: pattern(1024, 1) });
      await assert.rejects(fetcher({ token }).fetch(address, 'obj'), (e: Error) => {
        assert.match(e.message, /HTTP 401/);
        assert.ok(e.message.includes(address), e.message);
        return true;
      });
      assert.equal(store.gets, 0);
      assert.equal(server.requestsServed, 0);
      assert.equal(server.connections, 0);
    });
  }

  it('an unreachable node rejects naming its address', async () => {
    const { server, address } = await node();
    await server.close();
    await assert.rejects(fetcher().fetch(address, 'obj'), (e: Error) => e.message.includes(`cannot reach the object server at ${address}`));
  });

  it('a node that accepts but never answers fails the fetch after the idle timeout', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    try {
      const address = `127.0.0.1:${(http.address() as AddressInfo).port}`;
      await assert.rejects(fetcher({ idleTimeoutMs: 100 }).fetch(address, 'obj'), (e: Error) => {
        assert.match(e.message, /sent nothing for 100 ms/);
        assert.ok(e.message.includes(address), e.message);
        return true;
      });
    } finally {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise((r) => http.close(r));
    }
  });

  it('a malformed address rejects naming it', async () => {
    await assert.rejects(fetcher().fetch('not an address', 'obj'), /object server at not an address/);
  });

  it('concurrent fetches of different objects share one connection and both complete', async () => {
    const a = pattern(CHUNK_LIMIT * 3 + 17, 11);
    const b = pattern(CHUNK_LIMIT + 3, 13);
    const c = pattern(2048, 17);
    const { server, address } = await node({ a, b, c });
    const f = fetcher();
    const [ga, gb, gc, missing] = await Promise.all([f.fetch(address, 'a'), f.fetch(address, 'b', b.byteLength), f.fetch(address, 'c'), f.fetch(address, 'x')]);
    assert.ok(ga && Buffer.from(ga).equals(a));
    assert.ok(gb && Buffer.from(gb).equals(b));
    assert.ok(gc && Buffer.from(gc).equals(c));
    assert.equal(missing, undefined);
    assert.equal(server.connections, 1);
    // Reused for a later fetch, not reopened.
    const again = await f.fetch(address, 'c');
    assert.ok(again && Buffer.from(again).equals(c));
    assert.equal(server.connections, 1);
  });

  it('a server closed mid-fetch makes the fetch reject, and a new server at another port is reachable afterwards', async () => {
    const size = 64 * MiB;
    const { server, store, address } = await node({ big: pattern(size, 21) });
    const f = fetcher({ window: 1 });
    const pending = f.fetch(address, 'big');
    while (store.gets < 2) await new Promise((r) => setImmediate(r));
    await server.close();
    await assert.rejects(pending, (e: Error) => {
      assert.match(e.message, /closed/);
      assert.ok(e.message.includes(address), e.message);
      return true;
    });
    assert.ok(server.bytesServed < size);
    // The dead connection is forgotten: the fetcher reconnects to a node that is back.
    const back = await node({ small: pattern(100, 1) });
    const got = await f.fetch(back.address, 'small');
    assert.equal(got?.byteLength, 100);
  });

  it('a connection the node dropped is re-opened for the next fetch', async () => {
    const data = pattern(4096, 2);
    const first = await node({ obj: data });
    const f = fetcher();
    assert.ok(await f.fetch(first.address, 'obj'));
    // The node restarts its server on the same port: the old connection is gone, the address is the same.
    await first.server.close();
    const port = Number(first.address.split(':')[1]);
    const store = new ObjectStore();
    store.put('obj', data, 'job-1');
    const again = new ObjectServer({ host: '127.0.0.1', port, token: TOKEN, store });
    servers.push(again);
    await again.listen();
    const got = await f.fetch(first.address, 'obj');
    assert.ok(got && Buffer.from(got).equals(data));
    assert.equal(again.connections, 1);
  });

  it('closing the fetcher ends its connections', async () => {
    const { server, address } = await node({ obj: pattern(10, 1) });
    const f = fetcher();
    await f.fetch(address, 'obj');
    assert.equal(server.connections, 1);
    await f.close();
    while (server.connections > 0) await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(f.fetch(address, 'obj'), /closed/);
  });

  it('GET /health answers {"ok":true} without a token', async () => {
    const { address } = await node();
    const [host, port] = address.split(':');
    const body = await new Promise<string>((resolve, reject) => {
      request({ host, port: Number(port), path: '/health' }, (res) => {
        assert.equal(res.statusCode, 200);
        let s = '';
        res.on('data', (d: Buffer) => { s += d.toString(); });
        res.on('end', () => resolve(s));
      }).on('error', reject).end();
    });
    assert.deepEqual(JSON.parse(body), { ok: true });
  });

  it('another protocol version is refused with 426', async () => {
    const { server, address } = await node({ obj: pattern(10, 1) });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION + 1) } });
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode); ws.terminate(); });
      ws.on('open', () => { ws.terminate(); reject(new Error('admitted')); });
      ws.on('error', () => undefined);
    });
    assert.equal(status, 426);
    assert.equal(server.requestsServed, 0);
  });

  /** A header as a fetcher would frame it, whatever value it is. */
  const rawHeader = (value: unknown): Buffer => {
    const body = serialize(value);
    const frame = Buffer.alloc(4 + body.byteLength);
    frame.writeUInt32LE(body.byteLength, 0);
    body.copy(frame, 4);
    return frame;
  };
  const BAD_HEADERS: [string, Buffer, RegExp][] = [
    ['a chunk.get for a negative offset', rawHeader({ type: 'chunk.get', reqId: 1, id: 'obj', offset: -1, length: 10 }), /a malformed chunk\.get object-transfer header \(\/offset: /],
    ['a chunk.get whose id is a number', rawHeader({ type: 'chunk.get', reqId: 1, id: 7, offset: 0, length: 10 }), /a malformed chunk\.get object-transfer header \(\/id: /],
    ['a header of no known type', rawHeader({ type: 'chunk.put', reqId: 1, id: 'obj' }), /no object-transfer header has the type "chunk\.put"/],
    ['a reply where a request belongs', rawHeader({ type: 'chunk.missing', reqId: 1, id: 'obj' }), /unexpected chunk\.missing from a fetcher/],
    ['fewer bytes than a header length', Buffer.from([1, 2]), /shorter than its header length/],
  ];
  for (const [title, frame, why] of BAD_HEADERS) {
    it(`${title} closes only that fetcher's connection, with the reason logged; the node serves on`, async () => {
      const logged: string[] = [];
      const store = new ObjectStore();
      const data = pattern(100, 4);
      store.put('obj', data, 'job-1');
      const server = new ObjectServer({ host: '127.0.0.1', port: 0, token: TOKEN, store, log: (l) => logged.push(l) });
      servers.push(server);
      const address = `127.0.0.1:${await server.listen()}`;
      const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
      ws.send(frame);
      const [code, reason] = await closed;
      assert.equal(code, 1008);
      assert.match(reason, why);
      assert.match(logged.join('\n'), why);
      const got = await fetcher().fetch(address, 'obj');
      assert.ok(got && Buffer.from(got).equals(data));
    });
  }

  it('fetchers past raylaunch.max_connections are refused with 503 and the reason; the open ones keep theirs, and a freed slot is taken again', async () => {
    const store = new ObjectStore();
    const data = pattern(1000, 9);
    store.put('obj', data, 'job-1');
    const server = new ObjectServer({ host: '127.0.0.1', port: 0, token: TOKEN, store, maxConnections: 2 });
    servers.push(server);
    const address = `127.0.0.1:${await server.listen()}`;
    const open = async () => {
      const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return ws;
    };
    const [a, b] = [await open(), await open()];
    const third = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${TOKEN}`, ...protocolHeaders() } });
    const refused = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      third.once('open', () => reject(new Error('a third connection was taken past the limit')));
      third.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
    });
    assert.equal(refused.status, 503);
    assert.match(refused.body, /has 2 connections open, its limit \(raylaunch\.max_connections\)/);
    const served = new Promise<Buffer[] | Buffer>((resolve) => a.once('message', (m: Buffer) => resolve(m)));
    a.send(encodeObjectFrame({ type: 'chunk.get', reqId: 1, id: 'obj', offset: 0, length: 1000 }));
    assert.equal(decodeObjectFrame(await served).header.type, 'chunk', 'an open connection is still served');
    b.close();
    await until('the closed connection to be gone', 5000, () => (server.connections === 1 ? true : undefined));
    const got = await fetcher().fetch(address, 'obj');
    assert.ok(got && Buffer.from(got).equals(data));
    a.close();
  });

  it('a node that answers with a malformed header fails the fetch naming it, and drops that connection', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => ws.on('message', () => ws.send(rawHeader({ type: 'chunk', reqId: 0, id: 'obj', offset: 0, total: 'lots' }))));
    try {
      const address = `127.0.0.1:${(wss.address() as AddressInfo).port}`;
      await assert.rejects(fetcher().fetch(address, 'obj'), /the object server at 127\.0\.0\.1:\d+ sent malformed object frame: a malformed chunk object-transfer header \(\/total: .*\); dropping the connection/);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
