import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { type AddressInfo, createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { DashboardPortTakenError, openDashboard } from '../../../src/dashboard/open.js';
import { headFile } from '../../../src/common/node-args.js';
import { clusterDir } from '../../../src/common/paths.js';
import { operatorCredentialPath } from '../../../src/launcher/cluster-state.js';
import { ClusterNotFoundError, HeadConnectionError } from '../../../src/launcher/errors.js';
import { freePort } from '../../helpers/free-port.js';

/** A stand-in head on loopback: answers the login-code request as `answer` says and records what it was asked. */
describe('raylaunch dashboard\'s local port and login link (openDashboard)', () => {
  let head: Server;
  let headPort = 0;
  let home = '';
  const saved = process.env.RAYLAUNCH_HOME;
  let answer: { status: number; body: string } = { status: 200, body: '{"code":"c0de"}' };
  const asked: { headers: IncomingMessage['headers']; url: string; body: string }[] = [];

  before(async () => {
    head = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        asked.push({ headers: req.headers, url: req.url ?? '', body });
        res.writeHead(req.url === '/api/dashboard/login-code' ? answer.status : 200, { 'content-type': 'application/json' });
        res.end(req.url === '/api/dashboard/login-code' ? answer.body : '{"through":"the forward"}');
      });
    });
    await new Promise<void>((r) => head.listen(0, '127.0.0.1', r));
    headPort = (head.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => head.close(() => r())));
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rl-dash-open-'));
    process.env.RAYLAUNCH_HOME = home;
    asked.length = 0;
    answer = { status: 200, body: '{"code":"c0de"}' };
    mkdirSync(clusterDir('c'), { recursive: true });
    writeFileSync(headFile(clusterDir('c')), JSON.stringify({ nodeId: 'h', address: `127.0.0.1:${headPort}`, pid: 1, startedAt: 0 }));
    mkdirSync(join(home, 'credentials'), { recursive: true });
    writeFileSync(operatorCredentialPath('c'), 'op-secret\n');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RAYLAUNCH_HOME;
    else process.env.RAYLAUNCH_HOME = saved;
    rmSync(home, { recursive: true, force: true });
  });

  it('asks the head with the operator\'s credential for a code bound to its own local address, and the link carries only that code', async () => {
    const dash = await openDashboard('c');
    try {
      const host = `127.0.0.1:${dash.localPort}`;
      assert.notEqual(dash.localPort, headPort);
      assert.equal(dash.url, `http://${host}/dashboard/login?code=c0de`);
      assert.equal(asked[0]?.headers.authorization, 'Bearer op-secret');
      assert.equal(asked[0]?.headers.host, host);
      assert.deepEqual(JSON.parse(asked[0]?.body ?? ''), { host });
      assert.doesNotMatch(dash.url, /op-secret/);
      // What the browser sends to the local port reaches the head, with the Host it used.
      const through = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port: dash.localPort, path: '/dashboard/' }, (res) => {
          let t = '';
          res.on('data', (c: Buffer) => { t += c.toString(); });
          res.on('end', () => resolve(t));
        }).on('error', reject).end();
      });
      assert.equal(through, '{"through":"the forward"}');
      assert.equal(asked[1]?.headers.host, host);
    } finally {
      await dash.close();
    }
  });

  it('--port takes that port; a port another program holds is DashboardPortTakenError naming --port', async () => {
    const taken = netServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const free = await freePort();
    const dash = await openDashboard('c', { port: free });
    await dash.close();
    assert.equal(dash.localPort, free);
    assert.match(dash.url, new RegExp(`^http://127\\.0\\.0\\.1:${free}/`));
    try {
      await assert.rejects(openDashboard('c', { port }), (e: Error) => e instanceof DashboardPortTakenError && /port \d+ on 127\.0\.0\.1 is taken/.test(e.message) && /--port/.test((e as DashboardPortTakenError).hint ?? ''));
    } finally {
      taken.close();
    }
  });

  const REFUSALS: [string, () => void, (e: unknown) => boolean][] = [
    ['a head that serves no dashboard (an older runtime) says to run up', () => { answer = { status: 404, body: '{}' }; },
      (e) => e instanceof HeadConnectionError && /serves no dashboard/.test(e.message) && /raylaunch up -c c/.test(e.hint ?? '')],
    ['a head that refuses the credential says so with its answer', () => { answer = { status: 401, body: '{"error":"no"}' }; },
      (e) => e instanceof HeadConnectionError && /refused a dashboard login: 401/.test(e.message)],
    ['a cluster with no head here is ClusterNotFoundError', () => rmSync(headFile(clusterDir('c'))), (e) => e instanceof ClusterNotFoundError],
  ];
  for (const [title, arrange, check] of REFUSALS) {
    it(title, async () => {
      arrange();
      await assert.rejects(openDashboard('c'), check);
    });
  }
});
