// bench/dashboard.ts — the dashboard's cluster page in Debian's chromium (headless, as the browser tests run it),
// on a process cluster (a head and one worker): ROUNDS fresh page loads each of
//   (a) a blank page served from a loopback server of this script (the baseline: what chromium itself costs), and
//   (b) the cluster page through `raylaunch dashboard`'s local port, logged in once,
// timing first contentful paint and, for (b), the cluster page drawn (its nodes table filled from the live stream),
// and counting the bytes the browser fetched as they crossed the wire (gzip where the head sends it; the event
// stream, which never ends, is not counted). Goals: drawn ≤ 1 s, bytes ≤ 250 KB.
// The cluster is taken down at the end, also on failure. Run: npm run bench:dashboard (BENCH_ROUNDS=n)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

const ROOT = new URL('..', import.meta.url).pathname;
const NAME = `benchdash${process.pid}`;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GOAL_MS = 1000;
const GOAL_BYTES = 250 * 1024;
const home = mkdtempSync(join(tmpdir(), 'raylaunch-bench-dash-'));
// Before the launcher's modules are loaded: nothing may see the user's own clusters.
process.env.RAYLAUNCH_HOME = home;
const { openDashboard } = await import('../src/dashboard/open.js');
const { launchChromium } = await import('../test/helpers/browser.js');

const env = { ...process.env, RAYLAUNCH_HOME: home };
const configFile = join(home, 'bench.yaml');
writeFileSync(configFile, [
  `cluster_name: ${NAME}`, 'provider: {type: process}', 'max_workers: 1', 'available_node_types:',
  '  head: {resources: {CPU: 1}}', '  worker: {resources: {CPU: 1}, min_workers: 1, max_workers: 1}', 'head_node_type: head', '',
].join('\n'));

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`raylaunch ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

interface Load { fcpMs: number; drawnMs: number | undefined; bytes: number }

/** One fresh page: its first contentful paint, when `ready` appeared (ms from navigation start), and the bytes it fetched. */
async function load(browser: Browser, url: string, cookies: Parameters<import('playwright-core').BrowserContext['addCookies']>[0], ready?: string): Promise<Load> {
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const page: Page = await context.newPage();
  try {
    await page.goto(url);
    if (ready) await page.waitForSelector(ready, { timeout: 30_000 });
    const drawnMs = ready ? await page.evaluate(() => performance.now()) : undefined;
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, undefined, { timeout: 30_000 });
    // Counted in the page: transferSize is what crossed the wire for each resource, headers included.
    // (A string: this program has node's types, not the DOM's.)
    const { fcpMs, bytes } = await page.evaluate(`(() => {
      const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
      return {
        fcpMs: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        bytes: entries.filter((e) => !e.name.includes('/api/dashboard/events')).reduce((n, e) => n + e.transferSize, 0),
      };
    })()`) as { fcpMs: number; bytes: number };
    return { fcpMs, drawnMs, bytes };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmtMs = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : `${Math.round(n)} ms`);
const fmtKb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

let browser: Browser | undefined;
const blank = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>blank</title><p>blank</p>'); });
let dash: Awaited<ReturnType<typeof openDashboard>> | undefined;
try {
  cli(['up', configFile, '-y']);
  await new Promise<void>((r) => blank.listen(0, '127.0.0.1', r));
  const blankUrl = `http://127.0.0.1:${(blank.address() as AddressInfo).port}/`;
  dash = await openDashboard(NAME);
  browser = await launchChromium();
  // Logged in once: each round is then a fresh context holding only the session cookie (nothing cached).
  const first = await browser.newContext();
  const p = await first.newPage();
  await p.goto(dash.url);
  await p.waitForSelector('#page-cluster');
  const cookies = await first.cookies();
  await first.close();
  const origin = new URL(dash.url).origin;
  const base: Load[] = [];
  const cluster: Load[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    base.push(await load(browser, blankUrl, []));
    cluster.push(await load(browser, `${origin}/dashboard/`, cookies, '#nodes tbody tr'));
  }
  const drawn = median(cluster.map((l) => l.drawnMs ?? NaN));
  const bytes = median(cluster.map((l) => l.bytes));
  const rows = [
    ['', 'blank page', 'cluster page', 'goal', ''],
    ['first contentful paint', fmtMs(median(base.map((l) => l.fcpMs))), fmtMs(median(cluster.map((l) => l.fcpMs))), '', ''],
    ['cluster page drawn', '—', fmtMs(drawn), `≤ ${GOAL_MS} ms`, drawn <= GOAL_MS ? 'ok' : 'OVER'],
    ['bytes loaded (wire, gzip)', fmtKb(median(base.map((l) => l.bytes))), fmtKb(bytes), `≤ ${GOAL_BYTES / 1024} KB`, bytes <= GOAL_BYTES ? 'ok' : 'OVER'],
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  process.stdout.write(`dashboard: medians of ${ROUNDS} fresh loads each, headless chromium, process cluster (head + 1 worker)\n`);
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
} finally {
  await browser?.close();
  await dash?.close();
  blank.close();
  try {
    cli(['down', '-c', NAME]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
