// The fake's two listeners (test/fakes/shared/server.ts): one API endpoint for EC2, IAM and STS (told apart by the
// service the SDK signed for, as AWS_ENDPOINT_URL sends all three to one address), and IMDS.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../../../src/common/clock.js';
import { FakeListeners, readBody } from '../shared/server.js';
import { principalOf } from './authz.js';
import { Cloud, type Principal } from './cloud.js';
import { EC2_ACTIONS } from './ec2/actions.js';
import { ApiError } from './errors.js';
import type { Handler } from './handler.js';
import { InMemoryHostPool, type HostPool } from './host-pool.js';
import { IAM_ACTIONS, STS_ACTIONS } from './iam/actions.js';
import { Imds } from './imds.js';
import { flatParams, parseQuery } from './wire/query.js';
import { readSigner } from './wire/sigv4.js';
import { ec2Error, ec2Response, IAM_NAMESPACE, queryError, queryResponse, STS_NAMESPACE } from './wire/xml.js';

export interface FakeAwsOptions {
  /** address the API listens on (default 127.0.0.1); a test bridge address lets hosts in namespaces reach it */
  host?: string;
  port?: number;
  /** the IMDS listener's address and port (default: same host, a port of its own); false for none */
  imds?: { host?: string; port?: number } | false;
  region?: string;
  /** a ManualClock makes every delay below move only when the test advances it */
  clock?: Clock;
  /** where instances run (default: 50 in-memory hosts on 127.0.1.x) */
  pool?: HostPool;
  bootDelayMs?: number;
  stopDelayMs?: number;
  terminateDelayMs?: number;
  /** largest Describe page (default 5), so callers must follow NextToken */
  pageSize?: number;
  credentialLifetimeMs?: number;
  /** when given, only these access keys (and IMDS session keys) are accepted */
  accessKeys?: string[];
}

export interface CallRecord {
  seq: number;
  at: number;
  service: string;
  action: string;
  accessKeyId?: string;
  /** the signer's ARN: the account's user, or an assumed role with the instance id as session name */
  principal?: string;
  /** set when the call was signed with an instance profile's credentials */
  roleName?: string;
  params: Record<string, string>;
  status: number;
  /** the error code answered, if any */
  error?: string;
}

const VERSIONS: Record<string, string> = { ec2: '2016-11-15', iam: '2010-05-08', sts: '2011-06-15' };
const TABLES: Record<string, Record<string, Handler>> = { ec2: EC2_ACTIONS, iam: IAM_ACTIONS, sts: STS_ACTIONS };
const tooLarge = (): Error => new ApiError('RequestEntityTooLarge', 'The request body is too large.', 413);

export class FakeAws {
  readonly cloud: Cloud;
  readonly imds: Imds;
  readonly calls: CallRecord[] = [];
  /** http://host:port of EC2, IAM and STS */
  endpoint = '';
  /** http://host:port of IMDS, for AWS_EC2_METADATA_SERVICE_ENDPOINT */
  imdsEndpoint = '';
  private readonly net: FakeListeners;
  private requestSeq = 0;
  private readonly allowedKeys: Set<string> | undefined;

  private constructor(opts: FakeAwsOptions) {
    const clock = opts.clock ?? systemClock;
    this.cloud = new Cloud({
      region: opts.region ?? 'us-west-2',
      clock,
      pool: opts.pool ?? new InMemoryHostPool(Array.from({ length: 50 }, (_, i) => `127.0.1.${i + 1}`)),
      bootDelayMs: opts.bootDelayMs ?? 0,
      stopDelayMs: opts.stopDelayMs ?? 0,
      terminateDelayMs: opts.terminateDelayMs ?? 0,
      pageSize: opts.pageSize ?? 5,
      credentialLifetimeMs: opts.credentialLifetimeMs ?? 6 * 3600_000,
    });
    this.imds = new Imds(this.cloud);
    this.allowedKeys = opts.accessKeys === undefined ? undefined : new Set(opts.accessKeys);
    this.net = new FakeListeners(this.cloud, clock);
  }

  static async start(opts: FakeAwsOptions = {}): Promise<FakeAws> {
    const fake = new FakeAws(opts);
    const at = await fake.net.listenApiAndMetadata('fake AWS', { server: createServer((req, res) => { void fake.api(req, res); }), host: opts.host, port: opts.port },
      opts.imds === false ? false : { server: createServer((req, res) => fake.imds.handle(req, res)), host: opts.imds?.host, port: opts.imds?.port });
    fake.endpoint = `http://${at.api}`;
    if (at.metadata !== undefined) {
      fake.imdsEndpoint = `http://${at.metadata}`;
      fake.cloud.imdsEndpoint = fake.imdsEndpoint;
    }
    return fake;
  }

  get faults(): Cloud['faults'] {
    return this.cloud.faults;
  }

  /** The calls of one action (or all), oldest first. */
  callsOf(action?: string): CallRecord[] {
    return action === undefined ? [...this.calls] : this.calls.filter((c) => c.action === action);
  }

  /**
   * A spot interruption notice: IMDS `spot/instance-action` reports it from now on, and at `inMs` (EC2 gives two
   * minutes) the instance is terminated (or stopped) with Server.SpotInstanceTermination.
   */
  interruptSpot(instanceId: string, opts: { action?: 'terminate' | 'stop' | 'hibernate'; inMs?: number } = {}): void {
    const inst = this.cloud.instances.get(instanceId);
    if (inst === undefined || !inst.spot) throw new Error(`fake AWS: ${instanceId} is not a spot instance`);
    inst.spotNotice = { action: opts.action ?? 'terminate', at: this.cloud.now() + (opts.inMs ?? 120_000) };
    this.net.schedule();
  }

  /** Waits until every boot and release handed to the host pool so far has finished. */
  async idle(): Promise<void> {
    await this.cloud.idle();
  }

  async close(): Promise<void> {
    await this.net.close();
    await this.cloud.idle();
  }

  private async api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestSeq += 1;
    const requestId = `${this.requestSeq.toString(16).padStart(8, '0')}-fake-4aws-8000-000000000000`;
    const record: CallRecord = { seq: this.requestSeq, at: this.cloud.now(), service: 'unknown', action: '', params: {}, status: 200 };
    try {
      const body = await readBody(req, tooLarge);
      record.params = flatParams(body);
      record.action = record.params.Action ?? '';
      record.service = Object.keys(VERSIONS).find((s) => VERSIONS[s] === record.params.Version) ?? 'unknown';
      const xml = this.dispatch(req, body, record, requestId);
      res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(xml);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('InternalError', `fake AWS failed: ${String(e)}`, 500);
      if (!(e instanceof ApiError)) console.error('fake AWS:', e);
      record.status = err.status;
      record.error = err.code;
      const xml = record.service === 'iam' ? queryError(IAM_NAMESPACE, err.code, err.message, err.status, requestId)
        : record.service === 'sts' ? queryError(STS_NAMESPACE, err.code, err.message, err.status, requestId)
          : ec2Error(err.code, err.message, requestId);
      res.writeHead(err.status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(xml);
    } finally {
      this.calls.push(record);
      this.net.schedule();
    }
  }

  private dispatch(req: IncomingMessage, body: string, record: CallRecord, requestId: string): string {
    if (req.method !== 'POST') throw new ApiError('InvalidAction', 'Only POST with a form body is understood here.');
    const signer = readSigner(req.headers);
    record.accessKeyId = signer.accessKeyId;
    const table = TABLES[signer.service];
    if (table === undefined) throw new ApiError('InvalidAction', `The fake has no service '${signer.service}'.`);
    record.service = signer.service;
    if (record.params.Version !== VERSIONS[signer.service]) throw new ApiError('InvalidParameterValue', `Version ${record.params.Version ?? '(none)'} is not ${signer.service}'s API version.`);
    const who: Principal = principalOf(this.cloud, signer, this.allowedKeys);
    record.principal = who.arn;
    if (who.kind === 'role') record.roleName = who.roleName;
    this.cloud.settle();
    const fault = this.cloud.faults.take(signer.service, record.action, signer.accessKeyId);
    const injected = fault === undefined ? undefined : new ApiError(fault.code, fault.message ?? `${fault.code} (injected by the test)`, fault.status);
    if (injected !== undefined && fault?.afterApplying !== true) throw injected;
    const handler = table[record.action];
    if (handler === undefined) throw new ApiError('InvalidAction', `The action ${record.action} is not valid for this web service.`);
    const result = handler({ cloud: this.cloud, p: parseQuery(body), flat: record.params, who });
    if (injected !== undefined) throw injected;
    return signer.service === 'ec2' ? ec2Response(record.action, requestId, result ?? {})
      : queryResponse(signer.service === 'iam' ? IAM_NAMESPACE : STS_NAMESPACE, record.action, requestId, result);
  }
}
