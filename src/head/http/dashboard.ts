import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { formatEvent } from '../../cli/format.js';
import type { JobState } from '../../protocol/messages.js';
import type { JobSink } from '../jobs/job-manager.js';
import type { ClusterReadModel, DashboardView } from '../read-model.js';
import type { AutoscalerView } from '../../common/autoscaler-view.js';
import { systemClock } from '../../common/clock.js';
import { localRuntimeDir } from '../../runtime/layout.js';
import { HttpError, readJson, type Route, type RouteContext, sendJson } from './router.js';
import { DashboardSessions } from './session.js';
import { DASHBOARD_PREFIX } from '../../dashboard/files.js';

/**
 * The dashboard's routes: the login (a one-time code for a session cookie), its pages (files built into the
 * runtime's dashboard/ folder) and its read-only JSON, all behind the session or the operator's credential. Live
 * updates come through one server-sent-event stream per page. Nothing here computes cluster state: it serves
 * the read model's dashboard view.
 */

/** What the browser's stream and JSON carry: the read model's view, each autoscaler event with `monitor`'s line. */
export type DashboardState = DashboardView & { events: { seq: number; text: string }[] };

export interface DashboardDeps {
  sessions: DashboardSessions;
  view(): DashboardView;
  jobs: { follow(jobId: string, sink: JobSink, follow?: boolean, from?: number): boolean; unfollow(sink: JobSink): void };
  /** The folder of the built pages (dashboard-index.html, dashboard-app.js, dashboard-app.css). */
  assetsDir: string;
  /** The head's folder of node logs (`<node>.log` of nodes on this machine, `setup-<node>.log` of SSH workers). */
  logsDir?: string;
  /** How often the stream looks for a change to send (the head has no change feed for its whole view). */
  streamEveryMs?: number;
}

/** Hosts a dashboard may be opened on: this machine's loopback (the CLI's local port), never a name DNS can move. */
const LOOPBACK_HOST = /^(127\.0\.0\.1|\[::1\]):\d{1,5}$/;

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The page may load only its own files, talk only to its own origin, and be framed by no one. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function dashboardState(view: DashboardView): DashboardState {
  return { ...view, events: (view.status.autoscaler?.events ?? []).map((e) => ({ seq: e.seq, text: formatEvent(e) })) };
}

function operatorOnly(ctx: RouteContext): void {
  if (ctx.caller?.kind !== 'operator') throw new HttpError(403, 'only the operator\'s credential mints a dashboard login code');
}

export function dashboardRoutes(d: DashboardDeps): Route[] {
  const assets = new Map<string, Buffer>();
  const asset = (name: string): Buffer => {
    const cached = assets.get(name);
    if (cached) return cached;
    let body: Buffer;
    try {
      body = readFileSync(join(d.assetsDir, `${DASHBOARD_PREFIX}${name}`));
    } catch {
      throw new HttpError(404, `the dashboard's ${name} is not in this runtime (${d.assetsDir}): build it with npm run build`);
    }
    assets.set(name, body);
    return body;
  };
  const zipped = new Map<string, Buffer>();
  const serve = (req: IncomingMessage, res: ServerResponse, name: string) => {
    // Compressed once and kept: the script is most of what the browser loads, and a tunnel may be slow.
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    let body = asset(name);
    if (gzip) {
      body = zipped.get(name) ?? gzipSync(body);
      zipped.set(name, body);
    }
    res.writeHead(200, {
      'content-type': ASSETS[name] ?? 'application/octet-stream', 'content-length': body.length, vary: 'accept-encoding', ...(gzip ? { 'content-encoding': 'gzip' } : {}), ...PAGE_HEADERS,
    });
    res.end(body);
  };
  return [
    {
      // The CLI asks for a code with the operator's credential, for the local address its browser will use.
      method: 'POST', path: '/api/dashboard/login-code',
      handle: async (ctx) => {
        operatorOnly(ctx);
        const body = await readJson(ctx.req, 4096) as { host?: unknown };
        if (typeof body.host !== 'string' || !LOOPBACK_HOST.test(body.host)) throw new HttpError(400, 'host must be a loopback address with its port (127.0.0.1:8265)');
        sendJson(ctx.res, 200, { code: d.sessions.mintCode(body.host), path: '/dashboard/login' });
      },
    },
    {
      method: 'GET', path: '/dashboard/login', public: true,
      handle: ({ req, res, url }) => {
        const session = d.sessions.exchange(url.searchParams.get('code') ?? '', req.headers.host);
        if (!session) throw new HttpError(401, 'this login link was used already, has expired, or is for another address: run raylaunch dashboard again');
        // Redirected to the page without the code, so a reload or the history holds nothing that logs in.
        res.writeHead(303, { location: '/dashboard/', 'set-cookie': d.sessions.setCookie(session.secret), ...PAGE_HEADERS });
        res.end();
      },
    },
    { method: 'GET', path: '/dashboard/', handle: ({ req, res }) => serve(req, res, 'index.html') },
    {
      method: 'GET', path: '/dashboard/:file',
      handle: ({ req, res, params }) => {
        const name = params.file ?? '';
        if (!(name in ASSETS) || name === 'index.html') throw new HttpError(404, `no dashboard file ${name}`);
        serve(req, res, name);
      },
    },
    { method: 'GET', path: '/api/dashboard/state', handle: ({ res }) => sendJson(res, 200, dashboardState(d.view())) },
    { method: 'GET', path: '/api/dashboard/events', handle: (ctx) => stream(ctx, d) },
    { method: 'GET', path: '/api/dashboard/nodes/:id/log', handle: ({ res, params }) => sendJson(res, 200, nodeLog(d, params.id ?? '')) },
  ];
}

/** The last NODE_LOG_BYTES of a node's log that the head holds. */
export const NODE_LOG_BYTES = 64 * 1024;

/**
 * A node's log as the head has it: only for a node of this cluster (so the id never names another file), its own
 * log where it runs on the head's machine, else its setup log; the tail, since a daemon's log only grows.
 */
function nodeLog(d: DashboardDeps, nodeId: string): { file: string; text: string; truncated: boolean } {
  if (!d.view().status.nodes.some((n) => n.nodeId === nodeId)) throw new HttpError(404, `no node ${nodeId} on this cluster`);
  for (const name of [`${nodeId}.log`, `setup-${nodeId}.log`]) {
    const file = join(d.logsDir ?? '', name);
    if (d.logsDir === undefined || !existsSync(file)) continue;
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, NODE_LOG_BYTES));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return { file: name, text: buf.toString('utf8'), truncated: size > buf.length };
    } finally {
      closeSync(fd);
    }
  }
  throw new HttpError(404, `the head holds no log of node ${nodeId}: it is on that node's host`);
}

/**
 * One server-sent-event stream per page: `state` (the whole view) at once and again whenever it changed, and with
 * `?job=<id>` that job's output (`output`) and end (`exit`), as `raylaunch job logs -f` gets them.
 */
function stream({ req, res, url }: RouteContext, d: DashboardDeps): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  let last = '';
  const tick = () => {
    const text = JSON.stringify(dashboardState(d.view()));
    if (text === last) return;
    last = text;
    res.write(`event: state\ndata: ${text}\n\n`);
  };
  tick();
  const timer = setInterval(tick, d.streamEveryMs ?? 1000);
  const jobId = url.searchParams.get('job');
  const sink: JobSink = {
    output: (stream, text, at) => send('output', { stream, text, at: at ?? null }),
    exit: (state: JobState, exitCode) => send('exit', { state, exitCode }),
  };
  if (jobId !== null && !d.jobs.follow(jobId, sink, true)) send('missing', { jobId });
  req.on('close', () => {
    clearInterval(timer);
    d.jobs.unfollow(sink);
  });
}

/** The dashboard as the head wires it: sessions in memory (a restarted head asks for a new login). */
export function headDashboard(o: { clusterName: string; stateDir: string; readModel: Pick<ClusterReadModel, 'dashboard'>; autoscaler: { view(): AutoscalerView }; jobs: DashboardDeps['jobs'] }): DashboardDeps {
  return {
    sessions: new DashboardSessions({ clusterName: o.clusterName, clock: systemClock }),
    view: () => o.readModel.dashboard(o.autoscaler.view()), jobs: o.jobs, assetsDir: localRuntimeDir(), logsDir: join(o.stateDir, 'logs'),
  };
}
