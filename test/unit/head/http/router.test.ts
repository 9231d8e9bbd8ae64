import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'mocha';
import { guardedServer } from '../../../../src/common/admission.js';
import type { Identity } from '../../../../src/common/credentials.js';
import { operatorBearer } from '../../../../src/head/http/routes.js';
import { HttpError, HttpRouter, readJson, sendJson } from '../../../../src/head/http/router.js';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../../../src/protocol/messages.js';
import { send } from '../../../helpers/http-send.js';

const IDS: Record<string, Identity> = { 'Bearer op': { kind: 'operator' }, 'Bearer node': { kind: 'node', nodeId: 'n1' }, 'Bearer job': { kind: 'job', jobId: 'j1' } };

describe('the head\'s HTTP router', () => {
  let server: Server;
  let port = 0;
  const logged: string[] = [];
  before(async () => {
    const router = new HttpRouter({
      authenticate: [operatorBearer((h) => (h === undefined ? undefined : IDS[h]))],
      log: (l) => logged.push(l),
      routes: [
        { method: 'GET', path: '/api/things/:id', handle: ({ res, params, caller }) => sendJson(res, 200, { id: params.id, caller: caller?.kind }) },
        { method: 'POST', path: '/api/things', handle: async ({ req, res }) => sendJson(res, 201, await readJson(req, 64)) },
        { method: 'DELETE', path: '/api/things/:id', handle: () => { throw new HttpError(409, 'the thing is busy'); } },
        { method: 'GET', path: '/api/broken', handle: () => { throw new Error('a bug with a secret detail'); } },
        { method: 'GET', path: '/login', public: true, handle: ({ res, caller }) => sendJson(res, 200, { caller: caller?.kind ?? null }) },
      ],
      upgrades: [{ path: '/api/tail/:id', handle: ({ socket, params }) => socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${params.id?.length ?? 0}\r\n\r\n${params.id ?? ''}`) }],
    });
    ({ server } = guardedServer({
      server: createServer(), admit: () => undefined, refusedText: 'no', maxPayload: 1024, health: () => ({ ok: true }), accept: () => undefined, routes: router,
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const CASES: { name: string; method: string; path: string; headers?: Record<string, string>; body?: string; status: number; match?: RegExp }[] = [
    { name: 'a route answers the operator, with its path parameters decoded', method: 'GET', path: '/api/things/a%20b', headers: { authorization: 'Bearer op' }, status: 200, match: /"id":"a b","caller":"operator"/ },
    { name: 'no credential is refused with 401 and the scheme to use', method: 'GET', path: '/api/things/x', status: 401, match: /operator's credential/ },
    { name: 'an unknown credential is refused like none', method: 'GET', path: '/api/things/x', headers: { authorization: 'Bearer guess' }, status: 401 },
    { name: 'a node credential is refused by name', method: 'GET', path: '/api/things/x', headers: { authorization: 'Bearer node' }, status: 403, match: /a node credential may not use/ },
    { name: 'a job credential is refused by name', method: 'GET', path: '/api/things/x', headers: { authorization: 'Bearer job' }, status: 403, match: /a job credential/ },
    { name: 'a method the path does not serve is 405 with the ones it does', method: 'PUT', path: '/api/things/x', headers: { authorization: 'Bearer op' }, status: 405, match: /PUT is not served/ },
    { name: 'a route\'s HttpError is its status and message', method: 'DELETE', path: '/api/things/x', headers: { authorization: 'Bearer op' }, status: 409, match: /the thing is busy/ },
    { name: 'a route\'s bug is a 500 that does not show its detail', method: 'GET', path: '/api/broken', headers: { authorization: 'Bearer op' }, status: 500, match: /^(?!.*secret detail).*its log says why/ },
    { name: 'a body that is not JSON is 400', method: 'POST', path: '/api/things', headers: { authorization: 'Bearer op' }, body: '{nope', status: 400, match: /not JSON/ },
    { name: 'a body over the limit is 413', method: 'POST', path: '/api/things', headers: { authorization: 'Bearer op' }, body: JSON.stringify({ x: 'y'.repeat(100) }), status: 413 },
    { name: 'malformed percent-encoding is 400', method: 'GET', path: '/api/things/%E0%A4%A', headers: { authorization: 'Bearer op' }, status: 400, match: /percent-encoding/ },
    { name: 'a public route is served without a caller', method: 'GET', path: '/login', status: 200, match: /"caller":null/ },
    { name: 'a public route still knows a caller who has one', method: 'GET', path: '/login', headers: { authorization: 'Bearer op' }, status: 200, match: /"caller":"operator"/ },
    { name: 'a path no route knows falls through to the listener\'s 404', method: 'GET', path: '/nowhere', headers: { authorization: 'Bearer op' }, status: 404 },
    { name: 'the listener\'s own health check still answers', method: 'GET', path: '/health', status: 200, match: /"ok":true/ },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const r = await send(port, c.method, c.path, c.headers, c.body);
      assert.equal(r.status, c.status, r.body);
      if (c.match) assert.match(r.body, c.match);
      if (c.status === 401) assert.equal(r.headers['www-authenticate'], 'Bearer');
      if (c.status === 405) assert.equal(r.headers.allow, 'GET, DELETE');
    });
  }

  it('a route\'s bug is logged with its detail and the server serves on', async () => {
    await send(port, 'GET', '/api/broken', { authorization: 'Bearer op' });
    assert.ok(logged.some((l) => l.includes('a bug with a secret detail')));
    assert.equal((await send(port, 'GET', '/api/things/1', { authorization: 'Bearer op' })).status, 200);
  });

  const upgrade = (headers: Record<string, string>) => send(port, 'GET', '/api/tail/abc', { connection: 'Upgrade', upgrade: 'websocket', [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), ...headers });
  it('an upgrade to a route\'s path needs a caller', async () => {
    assert.equal((await upgrade({})).status, 401);
    assert.equal((await upgrade({ authorization: 'Bearer node' })).status, 403);
  });
  it('an upgrade to a route\'s path goes to the route, not the listener\'s WebSocket', async () => {
    const r = await upgrade({ authorization: 'Bearer op' });
    assert.deepEqual([r.status, r.body], [200, 'abc']);
  });
});
