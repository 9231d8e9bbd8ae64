import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, it } from 'mocha';
import { guardedServer } from '../../../../src/common/admission.js';
import { type DashboardDeps, dashboardRoutes, NODE_LOG_BYTES } from '../../../../src/head/http/dashboard.js';
import { operatorBearer } from '../../../../src/head/http/routes.js';
import { HttpRouter, sendJson } from '../../../../src/head/http/router.js';
import { cookieName, DashboardSessions, LOGIN_CODE_TTL_MS, SESSION_TTL_MS, sessionCookie } from '../../../../src/head/http/session.js';
import type { DashboardView } from '../../../../src/head/read-model.js';
import { type Reply, send } from '../../../helpers/http-send.js';

const VIEW: DashboardView = {
  status: {
    clusterName: 'c', headAddress: 'h:1', runtimeVersion: 'v', nodes: ['here', 'remote', 'quiet'].map((nodeId) => ({
      nodeId, nodeType: 't', kind: 'worker' as const, address: '', state: 'ALIVE' as const, total: {}, available: {}, pid: 1, lastHeartbeat: 0,
    })), demands: [], jobs: [], tasks: { pending: 0, running: 0, finished: 0, failed: 0 },
    actors: [], placementGroups: [], requestedResources: [], failures: [], autoscaler: null, relayedBytes: 0,
  },
  nodeDetails: [], actorErrors: {},
};

describe('the dashboard\'s login and session', () => {
  let server: Server;
  let port = 0;
  let host = '';
  let now = 1_000;
  let sessions: DashboardSessions;
  const dir = mkdtempSync(join(tmpdir(), 'dash-'));
  writeFileSync(join(dir, 'dashboard-index.html'), '<p>the page</p>');
  writeFileSync(join(dir, 'here.log'), `${'x'.repeat(NODE_LOG_BYTES)}the end\n`);
  writeFileSync(join(dir, 'setup-remote.log'), 'setting up\n');

  before(async () => {
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    host = `127.0.0.1:${port}`;
    // Routes see the sessions through this object, so each test can start from fresh ones.
    const deps: DashboardDeps = {
      get sessions() { return sessions; }, view: () => VIEW, jobs: { follow: () => false, unfollow: () => undefined }, assetsDir: dir, logsDir: dir,
    };
    const router = new HttpRouter({
      authenticate: [operatorBearer((h) => (h === 'Bearer op' ? { kind: 'operator' } : undefined)), (req) => sessionCookie(sessions)(req)],
      routes: [...dashboardRoutes(deps), { method: 'POST', path: '/api/change', handle: ({ res, caller }) => sendJson(res, 200, { caller: caller?.kind }) }],
      log: () => undefined,
    });
    guardedServer({ server, admit: () => undefined, refusedText: 'no', maxPayload: 1024, health: () => ({}), accept: () => undefined, routes: router });
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    return new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    now = 1_000;
    sessions = new DashboardSessions({ clusterName: 'my.cluster', clock: { now: () => now } });
  });

  async function mint(forHost = host): Promise<string> {
    const r = await send(port, 'POST', '/api/dashboard/login-code', { authorization: 'Bearer op', 'content-type': 'application/json' }, JSON.stringify({ host: forHost }));
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { code: string }).code;
  }
  async function login(code: string, headers: Record<string, string> = {}): Promise<Reply> {
    return send(port, 'GET', `/dashboard/login?code=${encodeURIComponent(code)}`, headers);
  }
  async function cookie(): Promise<string> {
    const r = await login(await mint());
    assert.equal(r.status, 303, r.body);
    return String(r.headers['set-cookie']).split(';')[0] ?? '';
  }

  it('a login code becomes an HttpOnly, SameSite=Strict cookie named for the cluster, and the page is redirected to without the code', async () => {
    const r = await login(await mint());
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/dashboard/');
    const set = String(r.headers['set-cookie']);
    assert.match(set, /^raylaunch_my_cluster=[A-Za-z0-9_-]{20,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    assert.equal(cookieName('my.cluster'), 'raylaunch_my_cluster');
    const page = await send(port, 'GET', '/dashboard/', { cookie: set.split(';')[0] ?? '' });
    assert.equal(page.status, 200);
    assert.equal(page.body, '<p>the page</p>');
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  });

  it('the page is sent gzip-compressed to a browser that takes it, and as is otherwise', async () => {
    const jar = await cookie();
    const zipped = await new Promise<Buffer>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/dashboard/', headers: { cookie: jar, 'accept-encoding': 'gzip, br' } }, (res) => {
        assert.equal(res.headers['content-encoding'], 'gzip');
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject).end();
    });
    assert.equal(gunzipSync(zipped).toString(), '<p>the page</p>');
    const plain = await send(port, 'GET', '/dashboard/', { cookie: jar });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, '<p>the page</p>');
  });

  const REFUSED_LOGINS: { name: string; run: () => Promise<Reply> }[] = [
    { name: 'a code used once is refused the second time', run: async () => { const code = await mint(); await login(code); return login(code); } },
    { name: 'a code past its minute is refused', run: async () => { const code = await mint(); now += LOGIN_CODE_TTL_MS; return login(code); } },
    { name: 'a code minted for another address is refused', run: async () => login(await mint('127.0.0.1:1')) },
    { name: 'a made-up code is refused', run: () => login('guess') },
  ];
  for (const c of REFUSED_LOGINS) {
    it(`login: ${c.name} (401, no cookie)`, async () => {
      const r = await c.run();
      assert.equal(r.status, 401);
      assert.equal(r.headers['set-cookie'], undefined);
      assert.match(r.body, /run raylaunch dashboard again/);
    });
  }

  const MINTS: { name: string; headers: () => Promise<Record<string, string>>; host: string; status: number }[] = [
    { name: 'a session cannot mint login codes', headers: async () => ({ cookie: await cookie() }), host: '127.0.0.1:8265', status: 403 },
    { name: 'no caller cannot mint login codes', headers: () => Promise.resolve({}), host: '127.0.0.1:8265', status: 401 },
    { name: 'a host that is not loopback is refused', headers: () => Promise.resolve({ authorization: 'Bearer op' }), host: 'evil.example:80', status: 400 },
  ];
  for (const c of MINTS) {
    it(`login codes: ${c.name}`, async () => {
      const r = await send(port, 'POST', '/api/dashboard/login-code', { ...await c.headers(), 'content-type': 'application/json', origin: `http://${host}` }, JSON.stringify({ host: c.host }));
      assert.equal(r.status, c.status, r.body);
    });
  }

  const SESSION_USE: { name: string; method?: string; path?: string; headers: (cookie: string) => Record<string, string>; before?: () => void; status: number; match?: RegExp }[] = [
    { name: 'the session reads the dashboard\'s JSON', headers: (c) => ({ cookie: c }), status: 200, match: /"clusterName":"c"/ },
    { name: 'no session is 401', headers: () => ({}), status: 401 },
    { name: 'a forged cookie is 401', headers: () => ({ cookie: `${cookieName('my.cluster')}=forged` }), status: 401 },
    { name: 'an expired session is 401', headers: (c) => ({ cookie: c }), before: () => { now += SESSION_TTL_MS; }, status: 401 },
    { name: 'the cookie on another Host (DNS rebinding) is 403', headers: (c) => ({ cookie: c, host: `rebound.example:${port}` }), status: 403, match: /is for http:\/\/127\.0\.0\.1/ },
    { name: 'a cross-site request is 403', headers: (c) => ({ cookie: c, 'sec-fetch-site': 'cross-site' }), status: 403, match: /cross-site request/ },
    { name: 'a same-site request from another port is 403', headers: (c) => ({ cookie: c, 'sec-fetch-site': 'same-site' }), status: 403 },
    { name: 'a state-changing request from the page\'s origin passes', method: 'POST', path: '/api/change', headers: (c) => ({ cookie: c, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' }), status: 200, match: /"caller":"session"/ },
    { name: 'a state-changing request from another origin is 403', method: 'POST', path: '/api/change', headers: (c) => ({ cookie: c, origin: 'http://127.0.0.1:1' }), status: 403, match: /from http:\/\/127\.0\.0\.1:1 may not use/ },
    { name: 'a read or WebSocket upgrade with another Origin is 403', headers: (c) => ({ cookie: c, origin: 'http://127.0.0.1:1' }), status: 403, match: /a request from http:\/\/127\.0\.0\.1:1 may not use/ },
    { name: 'a read with the page\'s own Origin passes', headers: (c) => ({ cookie: c, origin: `http://${host}` }), status: 200 },
    { name: 'a state-changing request without an Origin is 403', method: 'POST', path: '/api/change', headers: (c) => ({ cookie: c }), status: 403, match: /must come from the dashboard's own page/ },
  ];
  for (const c of SESSION_USE) {
    it(`session: ${c.name}`, async () => {
      const jar = await cookie();
      c.before?.();
      const r = await send(port, c.method ?? 'GET', c.path ?? '/api/dashboard/state', c.headers(jar));
      assert.equal(r.status, c.status, r.body);
      if (c.match) assert.match(r.body, c.match);
    });
  }

  const LOGS: [string, string, number, RegExp][] = [
    ['a node on the head\'s machine: the tail of its own log', 'here', 200, /^\{"file":"here\.log","text":"x{65528}the end\\n","truncated":true\}$/],
    ['a worker reached over SSH: its setup log', 'remote', 200, /"file":"setup-remote\.log","text":"setting up\\n","truncated":false/],
    ['a node whose log the head does not hold says where it is', 'quiet', 404, /on that node's host/],
    ['an id that is not a node of the cluster names no file', '..%2Findex.html', 404, /no node \.\.\/index\.html on this cluster/],
  ];
  for (const [title, id, status, match] of LOGS) {
    it(`node logs: ${title}`, async () => {
      const r = await send(port, 'GET', `/api/dashboard/nodes/${id}/log`, { cookie: await cookie() });
      assert.equal(r.status, status, r.body);
      assert.match(r.body, match);
    });
  }
});
