import type { IncomingMessage } from 'node:http';
import type { Identity } from '../../common/credentials.js';
import { RUNTIME_VERSION } from '../../config/hash.js';
import { PROTOCOL_VERSION } from '../../protocol/messages.js';
import { type Authenticator, HttpRouter, type Route, sendJson } from './router.js';
import { type DashboardDeps, dashboardRoutes } from './dashboard.js';
import { sessionCookie } from './session.js';
import { jobsHttp, type JobsHttpDeps } from './jobs.js';

/** What the head's HTTP routes read and act through. */
export interface HttpDeps {
  /** Who an Authorization header's credential is (the control plane's credential table). */
  lookup(authorization: string | undefined): Identity | undefined;
  log(line: string): void;
  /** The dashboard's sessions, pages and views (none: no dashboard). */
  dashboard?: DashboardDeps;
  jobs?: JobsHttpDeps;
  /** GET /metrics and GET /api/cluster/history (metrics-routes.ts). */
  metrics?: readonly Route[];
}

/**
 * The operator's credential as a Bearer header. A node's or a job's credential is of this cluster but not the
 * operator's: refused by name rather than as unknown, so a misplaced credential is told apart from a wrong one.
 */
export function operatorBearer(lookup: HttpDeps['lookup']): Authenticator {
  return (req: IncomingMessage) => {
    const id = lookup(req.headers.authorization);
    if (!id) return undefined;
    if (id.kind === 'operator') return { kind: 'operator' };
    return { refused: `a ${id.kind} credential may not use the head's HTTP API: use the operator's (~/.raylaunch/credentials/<cluster> on the machine that ran up)` };
  };
}

/** GET /api/version, as Ray's Jobs API answers it (a client checks it before anything else). */
const version: Route = {
  method: 'GET', path: '/api/version',
  handle: ({ res }) => sendJson(res, 200, { version: '1', raylaunch_version: RUNTIME_VERSION, protocol_version: PROTOCOL_VERSION }),
};

/** The head's HTTP routes. */
export function headHttp(deps: HttpDeps): HttpRouter {
  const dash = deps.dashboard;
  const jobs = deps.jobs ? jobsHttp(deps.jobs) : { routes: [], upgrades: [] };
  return new HttpRouter({
    authenticate: [operatorBearer(deps.lookup), ...(dash ? [sessionCookie(dash.sessions)] : [])],
    routes: [version, ...jobs.routes, ...(deps.metrics ?? []), ...(dash ? dashboardRoutes(dash) : [])], upgrades: [...jobs.upgrades], log: deps.log,
  });
}
