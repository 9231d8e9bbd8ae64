/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core): log in through the link
 * `raylaunch dashboard` prints, see the cluster page and its charts, a job's output arriving live, stop it, an
 * infeasible demand's reason; and be refused without the session, with a forged cookie, from another origin and
 * on another Host. Screenshots of each page go to test-output/dashboard/ (gitignored) for review.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../helpers/browser.js';
import { TestCluster } from '../../helpers/cluster.js';
import { REPO } from '../../helpers/run-cli.js';
import { until } from '../../helpers/until.js';

// The page's own globals, for the functions playwright runs inside it (this program has no DOM library).
interface PageElement { textContent: string | null }
declare const document: { querySelector(s: string): PageElement | null; querySelectorAll(s: string): Iterable<PageElement> & { length: number } };

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
export const SHOTS = join(REPO, 'test-output', 'dashboard');

interface Reply { status: number; body: string }
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard in a browser (end to end)', function () {
  this.timeout(180_000);
  const name = `dash${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1, workerCpus: 1, headCpus: 2 }));
  let cli: ChildProcess | undefined;
  let url = '';
  let origin = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let jobId = '';
  let other: Server | undefined;
  const shot = (file: string) => page.screenshot({ path: join(SHOTS, file), fullPage: true });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await cluster.start();
    const r = await cluster.cli(['submit', '-c', name, cluster.writeFixture('dashboard/ticker.ts'), '--no-wait']);
    assert.equal(r.code, 0, r.stderr);
    jobId = /^(job-\w+)$/m.exec(r.stdout)?.[1] ?? assert.fail(r.stdout);
    cli = spawn(process.execPath, [BIN, 'dashboard', '-c', name, '--no-browser'], { env: { ...process.env, RAYLAUNCH_HOME: cluster.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    cli.stdout?.on('data', (d: Buffer) => { printed += d.toString(); });
    cli.stderr?.on('data', (d: Buffer) => { printed += d.toString(); });
    url = await until('the dashboard\'s login link', 30_000, () => /(http:\/\/127\.0\.0\.1:\d+\/dashboard\/login\?code=\S+)/.exec(printed)?.[1]);
    origin = new URL(url).origin;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    other?.close();
    if (cli?.pid !== undefined && cli.exitCode === null) {
      cli.kill('SIGINT');
      await once(cli, 'exit');
    }
    await cluster.stop();
  });

  it('the printed link logs in once: an HttpOnly, SameSite=Strict cookie named for the cluster, and a page address without the code', async () => {
    await page.goto(url);
    await page.waitForSelector('#page-cluster');
    assert.equal(page.url(), `${origin}/dashboard/`);
    const cookies = await context.cookies();
    assert.deepEqual(cookies.map((c) => [c.name, c.httpOnly, c.sameSite]), [[`raylaunch_${name}`, true, 'Strict']]);
    assert.equal((await get(url)).status, 401, 'the link works only once');
  });

  it('the cluster page lists the nodes with type, state and resources used/total, and draws the charts', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#nodes tbody tr').length >= 2);
    const rows = await page.locator('#nodes tbody tr').allInnerTexts();
    assert.ok(rows.some((r) => /\bhead\b.*ALIVE.*CPU \d+\/2/.test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /\bworker\b.*ALIVE.*CPU \d+\/1/.test(r)), rows.join('\n'));
    await page.waitForSelector('figure[data-chart="CPU and GPU used / total"] canvas');
    await page.waitForSelector('figure[data-chart="Nodes by type"] canvas');
    await shot('cluster.png');
  });

  it('the autoscaler page shows the infeasible demand with the autoscaler\'s reason, and the event stream', async () => {
    await page.goto(`${origin}/dashboard/#/autoscaler`);
    const row = page.locator('#demands tr.infeasible');
    await row.waitFor();
    const why = await until('the autoscaler\'s reason for the GPU demand', 30_000, async () => {
      const state = await page.evaluate(() => fetch('/api/dashboard/state').then((r) => r.json())) as { status: { autoscaler: { pending: { resources: Record<string, number>; why: string }[] } | null } };
      return state.status.autoscaler?.pending.find((p) => p.resources.GPU === 8)?.why;
    });
    await page.waitForFunction((w) => document.querySelector('#demands tr.infeasible')?.textContent?.includes(w) === true, why);
    assert.match(await row.innerText(), /GPU: 8/);
    await shot('autoscaler.png');
  });

  it('the jobs page lists the running job; its page shows the output as it is printed', async () => {
    await page.goto(`${origin}/dashboard/#/jobs`);
    await page.locator(`#jobs a[href="#/job/${jobId}"]`).click();
    await page.waitForFunction(() => /tick \d+/.test(document.querySelector('#output')?.textContent ?? ''));
    const seen = Math.max(...[...(await page.locator('#output').innerText()).matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    // Lines printed after the page had its output: they come through the stream, not a reload.
    await page.waitForFunction((n) => (document.querySelector('#output')?.textContent ?? '').includes(`tick ${n + 3}`), seen);
    assert.equal(await page.locator('#job-state').innerText(), 'RUNNING');
    await shot('job.png');
  });

  it('the stop button asks first, then stops the job through the Jobs API', async () => {
    await page.locator('#stop').click();
    await page.locator('#stop-confirm').waitFor();
    await shot('job-stop-confirm.png');
    await page.locator('#stop-confirm').click();
    await page.waitForFunction(() => document.querySelector('#job-state')?.textContent === 'STOPPED');
    await page.goto(`${origin}/dashboard/#/jobs`);
    await page.waitForFunction((id) => [...document.querySelectorAll('#jobs tbody tr')].some((r) => r.textContent?.includes(id) && r.textContent.includes('STOPPED')), jobId);
    await shot('jobs.png');
  });

  it('the actors page renders; a node\'s page shows its log', async () => {
    await page.goto(`${origin}/dashboard/#/actors`);
    await page.waitForSelector('#page-actors');
    await shot('actors.png');
    await page.goto(`${origin}/dashboard/#/cluster`);
    await page.locator('#nodes tbody tr a').first().click();
    await page.waitForSelector('#page-node #node-tasks');
    await page.waitForSelector('#page-node #node-workers', { state: 'attached' });
    // A process cluster's nodes log on the head's machine: the page shows the agent's own lines.
    await page.waitForFunction(() => /\S/.test(document.querySelector('#node-log')?.textContent ?? '') && document.querySelector('#node-log')?.textContent !== 'loading…');
    assert.doesNotMatch(await page.locator('#node-log').innerText(), /holds no log/);
    await shot('node.png');
  });

  it('without the session, with a forged cookie, or on another Host, every page and route is refused', async () => {
    const [cookie] = await context.cookies();
    const jar = `${cookie?.name ?? ''}=${cookie?.value ?? ''}`;
    const REFUSED: [string, string, Record<string, string>, number][] = [
      ['the page without a session', '/dashboard/', {}, 401],
      ['its script without a session', '/dashboard/app.js', {}, 401],
      ['the JSON without a session', '/api/dashboard/state', {}, 401],
      ['the JSON with a forged cookie', '/api/dashboard/state', { cookie: `raylaunch_${name}=forged` }, 401],
      ['the JSON with the cookie on another Host', '/api/dashboard/state', { cookie: jar, host: `rebound.example:${new URL(origin).port}` }, 403],
    ];
    for (const [what, path, headers, status] of REFUSED) assert.equal((await get(`${origin}${path}`, headers)).status, status, what);
    assert.equal((await get(`${origin}/api/dashboard/state`, { cookie: jar })).status, 200, 'the same cookie on its own Host');
  });

  it('a page of another origin on this machine cannot use the session (its request is refused)', async () => {
    other = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<p>elsewhere</p>'); });
    await new Promise<void>((r) => other?.listen(0, '127.0.0.1', r));
    const elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    await page.goto(elsewhere);
    for (const [method, path] of [['GET', '/api/dashboard/state'], ['POST', `/api/jobs/${jobId}/stop`]] as const) {
      const refused = page.waitForResponse((r) => r.url() === `${origin}${path}`);
      await page.evaluate(([u, m]) => { void fetch(u, { method: m, credentials: 'include', mode: 'no-cors' }).catch(() => undefined); }, [`${origin}${path}`, method] as const);
      assert.equal((await refused).status(), 403, `${method} ${path} from ${elsewhere}`);
    }
  });
});
