import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type HttpRoutes, refuse } from '../../common/admission.js';

/**
 * The head's HTTP API beside its WebSocket (Jobs API, metrics, dashboard): one table of routes, each behind a
 * caller check unless it says it is public. Routes live on the control plane's own listener, so they are reached
 * only where the control plane is (loopback or the SSH tunnel) and never on a port of their own.
 */

/** Who an HTTP request comes from: the operator (its credential as a Bearer header) or a dashboard session. */
export type HttpCaller = { kind: 'operator' } | { kind: 'session'; sessionId: string };

/** Who a request's credential makes it; `refused`: a credential of this cluster that may not use HTTP (why). */
export type Authentication = HttpCaller | { refused: string } | undefined;

/** Decides who a request is from; the first authenticator with an answer wins. */
export type Authenticator = (req: IncomingMessage) => Authentication;

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path's `:name` parts, decoded. */
  params: Record<string, string>;
  /** Undefined only on a public route. */
  caller: HttpCaller | undefined;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

export interface Route {
  method: Method;
  /** `/api/jobs/:id/logs`: literal segments and `:name` parameters (one segment each). */
  path: string;
  handle(ctx: RouteContext): void | Promise<void>;
  /** Served without a caller (the login page's code exchange); every other route needs one. */
  public?: boolean;
}

export interface UpgradeRoute {
  path: string;
  /** Takes the upgrade's socket (e.g. a WebSocket of its own); the caller is checked before it is called. */
  handle(ctx: { req: IncomingMessage; socket: Duplex; head: Buffer; url: URL; params: Record<string, string>; caller: HttpCaller }): void;
}

/** A failure a route answers with its status and a message the caller can act on. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

interface Compiled<R> { route: R; pattern: RegExp; names: string[] }

function compile<R extends { path: string }>(route: R): Compiled<R> {
  const names: string[] = [];
  const source = route.path.split('/').map((seg) => {
    if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(seg.slice(1));
    return '([^/]+)';
  }).join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

function paramsOf<R>(c: Compiled<R>, path: string): Record<string, string> | undefined {
  const m = c.pattern.exec(path);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  try {
    c.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1] ?? ''); });
  } catch {
    throw new HttpError(400, `the path ${path} is not valid percent-encoding`);
  }
  return params;
}

/** Answers with a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A request's whole body, refused past `limit` bytes (413) before more is read. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new HttpError(413, `the body is ${declared} bytes, over the limit of ${limit}`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `the body is over the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A request's JSON body (400 when it is not JSON). */
export async function readJson(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

export interface HttpRouterOptions {
  authenticate: readonly Authenticator[];
  routes: readonly Route[];
  upgrades?: readonly UpgradeRoute[];
  /** A route that failed in a way that is not the caller's (answered 500 without its detail). */
  log(line: string): void;
}

/**
 * Serves the routes under the prefixes it owns. A failure of one request is answered on that request and logged;
 * it never reaches the listener, as one bad WebSocket message closes only its peer.
 */
export class HttpRouter implements HttpRoutes {
  private readonly routes: Compiled<Route>[];
  private readonly upgrades: Compiled<UpgradeRoute>[];

  constructor(private readonly o: HttpRouterOptions) {
    this.routes = o.routes.map(compile);
    this.upgrades = (o.upgrades ?? []).map(compile);
  }

  request(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://head');
    const matching = this.routes.filter((c) => c.pattern.test(url.pathname));
    if (matching.length === 0) return false;
    void this.serve(req, res, url, matching).catch((e: unknown) => this.fail(res, e));
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: URL, matching: Compiled<Route>[]): Promise<void> {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const c = matching.find((m) => m.route.method === method);
    if (!c) throw new HttpError(405, `${req.method ?? ''} is not served on ${url.pathname}`, { allow: [...new Set(matching.map((m) => m.route.method))].join(', ') });
    const params = paramsOf(c, url.pathname) ?? {};
    const caller = c.route.public ? this.identify(req) : this.required(req);
    await c.route.handle({ req, res, url, params, caller });
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://head');
    const c = this.upgrades.find((u) => u.pattern.test(url.pathname));
    if (!c) return false;
    try {
      const caller = this.required(req);
      c.route.handle({ req, socket, head, url, params: paramsOf(c, url.pathname) ?? {}, caller });
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (!(e instanceof HttpError)) this.o.log(`raylaunch head: the upgrade to ${url.pathname} failed: ${(e as Error).message}`);
      refuse(socket, status, e instanceof HttpError ? e.message : 'the head failed to serve this request; its log says why');
    }
    return true;
  }

  /** Who the request is from, if anyone; a credential that may not use HTTP is refused (403). */
  private identify(req: IncomingMessage): HttpCaller | undefined {
    for (const a of this.o.authenticate) {
      const who = a(req);
      if (who === undefined) continue;
      if ('refused' in who) throw new HttpError(403, who.refused);
      return who;
    }
    return undefined;
  }

  /** Who the request is from; without a caller, 401. */
  private required(req: IncomingMessage): HttpCaller {
    const who = this.identify(req);
    if (who) return who;
    throw new HttpError(401, 'the operator\'s credential (Authorization: Bearer …) or a dashboard session is required', { 'www-authenticate': 'Bearer' });
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (!(e instanceof HttpError)) this.o.log(`raylaunch head: an HTTP request failed: ${(e as Error).stack ?? String(e)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const [status, message, headers] = e instanceof HttpError ? [e.status, e.message, e.headers] : [500, 'the head failed to serve this request; its log says why', {}];
    sendJson(res, status, { error: message }, headers);
  }
}
