// The fake's two listeners (test/fakes/shared/server.ts): the Compute REST API (with Google's OAuth token endpoint
// beside it, at /token), and the metadata server.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../../../src/common/clock.js';
import { FakeListeners, readBody } from '../shared/server.js';
import { Cloud, type Token } from './cloud.js';
import { GceError } from './errors.js';
import { InMemoryHostPool, type HostPool } from './host-pool.js';
import { ServiceAccountKeys, type ServiceAccountKeyFile } from './jwt.js';
import { MetadataServer } from './metadata.js';
import { tokenGrant } from './oauth.js';
import { route } from './routes.js';

export interface FakeGcpOptions {
  /** address the API listens on (default 127.0.0.1); a test bridge address lets hosts in namespaces reach it */
  host?: string;
  port?: number;
  /** the metadata server's address and port (default: same host, a port of its own); false for none */
  metadata?: { host?: string; port?: number } | false;
  project?: string;
  projectNumber?: string;
  /** a ManualClock makes every delay below move only when the test advances it */
  clock?: Clock;
  /** where instances run (default: 50 in-memory hosts on 127.0.1.x) */
  pool?: HostPool;
  bootDelayMs?: number;
  stopDelayMs?: number;
  deleteDelayMs?: number;
  /** how long an operation stays PENDING before it runs (default 0) */
  operationPendingMs?: number;
  /** how long an operation stays RUNNING before DONE (default 0) */
  operationDelayMs?: number;
  /** largest page a list answers (default 5), so callers must follow nextPageToken */
  pageSize?: number;
  tokenLifetimeMs?: number;
  /** refresh token → account email, for the OAuth token endpoint (default: DUMMY_USER) */
  users?: Record<string, string>;
  /** service accounts that exist besides the project's default compute account */
  serviceAccounts?: string[];
  /** project metadata enable-oslogin=TRUE, as an organisation policy that enforces OS Login leaves it */
  osLogin?: boolean;
}

export interface CallRecord {
  seq: number;
  at: number;
  /** `instances.bulkInsert`, `zoneOperations.wait`, … (`unknown` when no route matched) */
  method: string;
  httpMethod: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** the bearer token the call carried */
  bearer?: string;
  /** the account that token was issued to: a user's email or a service account's */
  principal?: string;
  status: number;
  /** errors[0].reason of an error answer */
  reason?: string;
  /** the operation's name when the answer was one */
  operation?: string;
}

/** The account the default users map knows; its refresh token is what tests put in an authorized_user credential. */
export const DUMMY_USER = { refreshToken: 'fake-refresh-token-for-tests-only', email: 'operator@example.com', clientId: 'fake-client-id.apps.googleusercontent.com', clientSecret: 'fake-client-secret' };

const COMPUTE_SCOPES = ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/compute'];

const tooLarge = (): Error => new GceError(413, 'invalid', 'The request body is too large.');

export class FakeGcp {
  readonly cloud: Cloud;
  readonly metadata: MetadataServer;
  readonly calls: CallRecord[] = [];
  /** http://host:port of the Compute API (its paths start /compute/v1/) */
  endpoint = '';
  /** http://host:port/token, the OAuth token endpoint */
  tokenUrl = '';
  /** host:port of the metadata server, for GCE_METADATA_HOST */
  metadataHost = '';
  private readonly net: FakeListeners;
  private seq = 0;
  private readonly users: Map<string, string>;
  private readonly saKeys = new ServiceAccountKeys();

  private constructor(opts: FakeGcpOptions) {
    const clock = opts.clock ?? systemClock;
    this.cloud = new Cloud({
      project: opts.project ?? 'fake-project',
      projectNumber: opts.projectNumber ?? '123456789012',
      clock,
      pool: opts.pool ?? new InMemoryHostPool(Array.from({ length: 50 }, (_, i) => `127.0.1.${i + 1}`)),
      bootDelayMs: opts.bootDelayMs ?? 0,
      stopDelayMs: opts.stopDelayMs ?? 0,
      deleteDelayMs: opts.deleteDelayMs ?? 0,
      operationDelayMs: opts.operationDelayMs ?? 0,
      operationPendingMs: opts.operationPendingMs ?? 0,
      pageSize: opts.pageSize ?? 5,
      tokenLifetimeMs: opts.tokenLifetimeMs ?? 3600_000,
    });
    for (const sa of opts.serviceAccounts ?? []) this.cloud.serviceAccounts.add(sa);
    if (opts.osLogin === true) this.cloud.projectMetadata.push({ key: 'enable-oslogin', value: 'TRUE' });
    this.users = new Map(Object.entries(opts.users ?? { [DUMMY_USER.refreshToken]: DUMMY_USER.email }));
    this.metadata = new MetadataServer(this.cloud);
    this.net = new FakeListeners(this.cloud, clock);
  }

  static async start(opts: FakeGcpOptions = {}): Promise<FakeGcp> {
    const fake = new FakeGcp(opts);
    const at = await fake.net.listenApiAndMetadata('fake GCP', { server: createServer((req, res) => { void fake.api(req, res); }), host: opts.host, port: opts.port },
      opts.metadata === false ? false : { server: createServer((req, res) => fake.metadata.handle(req, res)), host: opts.metadata?.host, port: opts.metadata?.port });
    fake.endpoint = `http://${at.api}`;
    fake.tokenUrl = `${fake.endpoint}/token`;
    if (at.metadata !== undefined) {
      fake.metadataHost = at.metadata;
      fake.cloud.metadataHost = fake.metadataHost;
    }
    return fake;
  }

  get faults(): Cloud['faults'] {
    return this.cloud.faults;
  }

  get project(): string {
    return this.cloud.opts.project;
  }

  /** The calls of one method (or all), oldest first. */
  callsOf(method?: string): CallRecord[] {
    return method === undefined ? [...this.calls] : this.calls.filter((c) => c.method === method);
  }

  /**
   * Preempts a Spot or preemptible instance: its metadata `instance/preempted` turns TRUE at once, it is STOPPING,
   * and after `inMs` (GCE gives the guest 30 s) it is TERMINATED or deleted, as its instanceTerminationAction says.
   */
  preempt(name: string, opts: { zone?: string; inMs?: number } = {}): void {
    const inst = [...this.cloud.instances.values()].find((i) => i.name === name && (opts.zone === undefined || i.zone === opts.zone));
    if (inst === undefined || (!inst.scheduling.preemptible && inst.scheduling.provisioningModel !== 'SPOT')) throw new Error(`fake GCP: ${name} is not a Spot or preemptible instance`);
    if (inst.status !== 'RUNNING') throw new Error(`fake GCP: ${name} is ${inst.status}, not RUNNING`);
    inst.preempted = true;
    inst.stoppingTo = inst.scheduling.instanceTerminationAction === 'DELETE' ? 'DELETED' : 'TERMINATED';
    this.cloud.transition(inst, 'STOPPING', 'preempted');
    inst.due = { at: this.cloud.now() + (opts.inMs ?? 30_000), to: inst.stoppingTo === 'DELETED' ? 'DELETED' : 'TERMINATED' };
    const op = this.cloud.newOperation({ zone: inst.zone, operationType: 'compute.instances.preempted', targetLink: `https://www.googleapis.com/compute/v1/projects/${this.project}/zones/${inst.zone}/instances/${name}`, targetId: inst.id, user: 'system', method: 'system.preempted' });
    op.status = 'DONE';
    this.net.schedule();
  }

  /** A key file for a service account (made to exist if it did not), as `gcloud iam service-accounts keys create` writes. */
  createServiceAccountKey(email: string): ServiceAccountKeyFile {
    this.cloud.serviceAccounts.add(email);
    return this.saKeys.create(email, this.project, this.tokenUrl);
  }

  /** Waits until every boot and release handed to the host pool so far has finished. */
  async idle(): Promise<void> {
    await this.cloud.idle();
  }

  async close(): Promise<void> {
    this.cloud.emit('close');
    await this.net.close();
    await this.cloud.idle();
  }

  private async api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.seq += 1;
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: CallRecord = { seq: this.seq, at: this.cloud.now(), method: 'unknown', httpMethod: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 200 };
    const reply = (status: number, body: unknown): void => {
      record.status = status;
      const text = JSON.stringify(body);
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const text = await readBody(req, tooLarge);
      if (req.method === 'POST' && url.pathname === '/token') {
        record.method = 'oauth2.token';
        const r = tokenGrant(this.cloud, this.users, new URLSearchParams(text));
        return reply(r.status, r.body);
      }
      const body: unknown = text === '' ? {} : JSON.parse(text);
      record.body = text === '' ? undefined : body;
      const result = await this.dispatch(req, url, body, record);
      if (typeof result === 'object' && result !== null && (result as { kind?: string }).kind === 'compute#operation') record.operation = String((result as { name?: string }).name);
      reply(200, result);
    } catch (e) {
      const err = e instanceof GceError ? e : e instanceof SyntaxError ? new GceError(400, 'parseError', 'Parse Error') : new GceError(500, 'backendError', `fake GCP failed: ${String(e)}`);
      if (!(e instanceof GceError) && !(e instanceof SyntaxError)) console.error('fake GCP:', e);
      record.reason = err.reason;
      reply(err.status, err.body());
    } finally {
      this.calls.push(record);
      this.cloud.settle();
      this.net.schedule();
    }
  }

  private authenticate(req: IncomingMessage, record: CallRecord): Token {
    const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    if (m === null) throw new GceError(401, 'required', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'global');
    const token = m[1] ?? '';
    record.bearer = token;
    const t = this.cloud.tokens.get(token) ?? (token.split('.').length === 3 ? this.saKeys.verify(token, this.cloud.now()) : undefined);
    if (t !== undefined) record.principal = t.principal;
    if (t === undefined || t.expires <= this.cloud.now() || this.cloud.faults.revoked.has(token) || this.cloud.faults.revoked.has(t.principal)) {
      throw new GceError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    return t;
  }

  private async dispatch(req: IncomingMessage, url: URL, body: unknown, record: CallRecord): Promise<unknown> {
    const r = route(req.method ?? '', url.pathname);
    if (r !== undefined) record.method = r.method;
    const who = this.authenticate(req, record);
    if (this.cloud.faults.apiDisabled) {
      const n = this.cloud.opts.projectNumber;
      throw new GceError(403, 'accessNotConfigured', `Compute Engine API has not been used in project ${n} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/compute.googleapis.com/overview?project=${n} then retry.`, 'usageLimits', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com', metadata: { service: 'compute.googleapis.com', consumer: `projects/${n}` } },
      ]);
    }
    if (!who.scopes.some((s) => COMPUTE_SCOPES.includes(s))) throw new GceError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    if (r === undefined) throw new GceError(404, 'notFound', `The fake has no ${req.method ?? ''} ${url.pathname}.`);
    this.cloud.settle();
    const fault = this.cloud.faults.take(r.method, who.principal);
    const injected = fault === undefined ? undefined : new GceError(fault.status, fault.reason, fault.message, fault.reason === 'rateLimitExceeded' ? 'usageLimits' : 'global');
    if (injected !== undefined && fault?.afterApplying !== true) throw injected;
    const isObj = typeof body === 'object' && body !== null && !Array.isArray(body);
    const result = await r.handler({ cloud: this.cloud, params: r.params, query: url.searchParams, body: isObj ? body as Record<string, unknown> : {}, who, method: r.method });
    if (injected !== undefined) throw injected;
    return result;
  }
}
