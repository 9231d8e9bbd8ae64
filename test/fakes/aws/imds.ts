// The instance metadata service as EC2 serves it with IMDSv2 required: a PUT for a session token, then GETs that
// present it. The caller's source address says which instance is asking, as the link-local address does on EC2.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cloud } from './cloud.js';
import type { Instance } from './ec2/model.js';
import type { Session } from './iam/model.js';

const MAX_TTL_S = 21600;

export interface ImdsCall {
  at: number;
  sourceIp: string;
  method: string;
  path: string;
  status: number;
  instanceId?: string;
}

export function sourceIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

export class Imds {
  private readonly tokens = new Map<string, { ip: string; expires: number }>();
  readonly calls: ImdsCall[] = [];

  constructor(private readonly cloud: Cloud) {}

  private instanceAt(ip: string): Instance | undefined {
    return [...this.cloud.instances.values()].find((i) => i.lease?.privateIp === ip && i.state !== 'terminated');
  }

  /** The instance's current credentials for its profile's role, renewed when a quarter of their life is left. */
  private credentials(inst: Instance, roleName: string): Session {
    const now = this.cloud.now();
    const life = this.cloud.opts.credentialLifetimeMs;
    const current = [...this.cloud.sessions.values()].filter((s) => s.instanceId === inst.id && s.roleName === roleName).sort((a, b) => b.issued - a.issued)[0];
    if (current !== undefined && current.expires - now > life / 4) return current;
    const s: Session = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: this.cloud.secret(30),
      token: randomBytes(48).toString('base64'),
      roleName,
      instanceId: inst.id,
      issued: now,
      expires: now + life,
    };
    this.cloud.sessions.set(s.accessKeyId, s);
    return s;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const ip = sourceIp(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const inst = this.instanceAt(ip);
    const send = (status: number, body: string, type = 'text/plain'): void => {
      this.calls.push({ at: this.cloud.now(), sourceIp: ip, method: req.method ?? '', path, status, instanceId: inst?.id });
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    this.cloud.settle();
    const fault = this.cloud.faults.take('imds', path, '');
    if (fault !== undefined) return send(fault.status, fault.message ?? fault.code);
    // IMDS refuses anything forwarded by a proxy, so a misconfigured proxy on the host cannot relay it.
    if (req.headers['x-forwarded-for'] !== undefined) return send(403, 'Forbidden');
    if (req.method === 'PUT' && path === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_S) return send(400, 'Bad Request');
      const token = randomBytes(32).toString('base64');
      this.tokens.set(token, { ip, expires: this.cloud.now() + ttl * 1000 });
      res.setHeader('x-aws-ec2-metadata-token-ttl-seconds', String(ttl));
      return send(200, token);
    }
    if (req.method !== 'GET') return send(405, 'Method Not Allowed');
    const token = req.headers['x-aws-ec2-metadata-token'];
    const session = typeof token === 'string' ? this.tokens.get(token) : undefined;
    // IMDSv2 required: no token, a token from another address or an expired one is 401.
    if (session === undefined || session.ip !== ip || session.expires <= this.cloud.now()) return send(401, 'Unauthorized');
    if (inst === undefined) return send(404, 'Not Found');
    const answer = this.answer(inst, path);
    if (answer === undefined) return send(404, 'Not Found');
    return send(200, answer.body, answer.json ? 'application/json' : 'text/plain');
  }

  private answer(inst: Instance, path: string): { body: string; json?: boolean } | undefined {
    const cloud = this.cloud;
    const profile = inst.profileName === undefined ? undefined : cloud.profiles.get(inst.profileName);
    const roleName = profile?.roleNames[0];
    const md = '/latest/meta-data/';
    const simple: Record<string, string | undefined> = {
      [`${md}instance-id`]: inst.id,
      [`${md}instance-type`]: inst.instanceType,
      [`${md}ami-id`]: inst.imageId,
      [`${md}local-ipv4`]: inst.privateIp,
      [`${md}public-ipv4`]: inst.state === 'running' ? inst.lease?.publicIp : undefined,
      [`${md}placement/availability-zone`]: inst.zone,
      [`${md}placement/region`]: cloud.opts.region,
      [`${md}iam/security-credentials/`]: roleName,
      '/latest/user-data': inst.userData === undefined ? undefined : Buffer.from(inst.userData, 'base64').toString('utf8'),
    };
    if (path in simple) {
      const v = simple[path];
      return v === undefined ? undefined : { body: v };
    }
    if (path === `${md}iam/info` && profile !== undefined) {
      return { json: true, body: JSON.stringify({ Code: 'Success', LastUpdated: new Date(cloud.now()).toISOString(), InstanceProfileArn: profile.arn, InstanceProfileId: profile.id }) };
    }
    if (roleName !== undefined && path === `${md}iam/security-credentials/${roleName}`) {
      const s = this.credentials(inst, roleName);
      return {
        json: true,
        body: JSON.stringify({
          Code: 'Success', LastUpdated: new Date(s.issued).toISOString(), Type: 'AWS-HMAC', AccessKeyId: s.accessKeyId,
          SecretAccessKey: s.secretAccessKey, Token: s.token, Expiration: new Date(s.expires).toISOString(),
        }),
      };
    }
    if (path === `${md}spot/instance-action` && inst.spotNotice !== undefined) {
      return { json: true, body: JSON.stringify({ action: inst.spotNotice.action, time: new Date(inst.spotNotice.at).toISOString().replace(/\.\d{3}Z$/, 'Z') }) };
    }
    if (path === '/latest/dynamic/instance-identity/document') {
      return {
        json: true,
        body: JSON.stringify({ accountId: cloud.account, architecture: cloud.typeInfo(inst.instanceType)?.architecture, availabilityZone: inst.zone, imageId: inst.imageId, instanceId: inst.id, instanceType: inst.instanceType, privateIp: inst.privateIp, region: cloud.opts.region, pendingTime: new Date(inst.launchTime).toISOString() }),
      };
    }
    return undefined;
  }
}
