// The GCE metadata server, as google-auth-library and Google's guest agent use it: `Metadata-Flavor: Google`
// required, the caller's source address says which instance asks (the link-local address does that on GCE), and
// `?wait_for_change=true` long-polls a value until it changes (ETag / last_etag, timeout_sec).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cloud } from './cloud.js';
import type { Instance } from './model.js';

export interface MetadataCall {
  at: number;
  sourceIp: string;
  method: string;
  path: string;
  status: number;
  instance?: string;
}

export function sourceIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

const PREFIX = '/computeMetadata/v1/';
const etagOf = (v: string): string => createHash('sha256').update(v).digest('hex').slice(0, 16);

export class MetadataServer {
  readonly calls: MetadataCall[] = [];

  constructor(private readonly cloud: Cloud) {}

  private instanceAt(ip: string): Instance | undefined {
    return [...this.cloud.instances.values()].find((i) => i.lease?.privateIp === ip);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const ip = sourceIp(req);
    const url = new URL(req.url ?? '/', 'http://metadata');
    const path = url.pathname;
    const inst = this.instanceAt(ip);
    const send = (status: number, body: string, type = 'application/text', etag?: string): void => {
      this.calls.push({ at: this.cloud.now(), sourceIp: ip, method: req.method ?? '', path, status, instance: inst?.name });
      res.writeHead(status, { 'metadata-flavor': 'Google', 'content-type': type, 'content-length': Buffer.byteLength(body), ...(etag === undefined ? {} : { etag }) });
      res.end(body);
    };
    this.cloud.settle();
    if (req.headers['x-forwarded-for'] !== undefined) return send(403, 'Forbidden: X-Forwarded-For is not allowed');
    if (req.headers['metadata-flavor'] !== 'Google') return send(403, 'Missing required header: "Metadata-Flavor: Google"', 'text/html');
    if (!path.startsWith(PREFIX)) return send(404, 'Not Found', 'text/html');
    if (inst === undefined) return send(404, 'Not Found', 'text/html');
    const key = path.slice(PREFIX.length);
    if (req.method === 'PUT' && key.startsWith('instance/guest-attributes/')) return this.putGuestAttribute(req, inst, key.slice('instance/guest-attributes/'.length), send);
    if (req.method !== 'GET') return send(405, 'Method Not Allowed', 'text/html');
    const read = (): { body: string; json?: boolean } | undefined => this.answer(inst, key, url.searchParams.get('recursive') === 'true');
    const first = read();
    if (first === undefined) return send(404, 'Not Found', 'text/html');
    const type = first.json === true ? 'application/json' : 'application/text';
    if (url.searchParams.get('wait_for_change') !== 'true') return send(200, first.body, type, etagOf(first.body));
    const last = url.searchParams.get('last_etag') ?? etagOf(first.body);
    if (last !== etagOf(first.body)) return send(200, first.body, type, etagOf(first.body));
    const timeout = Number(url.searchParams.get('timeout_sec') ?? '3600');
    const finish = (): void => {
      this.cloud.off('change', check);
      this.cloud.off('close', finish);
      cancel();
      const now = read() ?? first;
      if (!res.writableEnded) send(200, now.body, type, etagOf(now.body));
    };
    const check = (): void => {
      const now = read();
      if (now !== undefined && etagOf(now.body) !== last) finish();
    };
    const cancel = this.cloud.at(this.cloud.now() + Math.max(1, timeout) * 1000, finish);
    this.cloud.on('change', check);
    this.cloud.on('close', finish);
    req.socket.once('close', () => { this.cloud.off('change', check); this.cloud.off('close', finish); cancel(); });
    // Tests wait for this event, never for time, to know the long-poll is being held.
    this.cloud.emit('waiting', { instance: inst.name, path: key });
  }

  private putGuestAttribute(req: IncomingMessage, inst: Instance, key: string, send: (s: number, b: string) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
    req.on('end', () => {
      if (!/^[a-zA-Z0-9_-]+\/[a-zA-Z0-9_.-]+$/.test(key)) return send(400, 'Bad Request');
      inst.guestAttributes.set(key, Buffer.concat(chunks).toString('utf8'));
      this.cloud.emit('change', { instance: inst.name });
      send(200, '');
    });
  }

  private token(inst: Instance): string | undefined {
    const sa = inst.serviceAccounts[0];
    if (sa === undefined) return undefined;
    const now = this.cloud.now();
    // The current token while more than a quarter of its life is left, as the real server caches them.
    const current = [...this.cloud.tokens.values()].filter((t) => t.instance === inst.name && t.principal === sa.email).sort((a, b) => b.expires - a.expires)[0];
    const t = current !== undefined && current.expires - now > this.cloud.opts.tokenLifetimeMs / 4 ? current : this.cloud.issueToken(sa.email, 'serviceAccount', sa.scopes, inst.name);
    return JSON.stringify({ access_token: t.token, expires_in: Math.floor((t.expires - now) / 1000), token_type: 'Bearer' });
  }

  private answer(inst: Instance, key: string, recursive: boolean): { body: string; json?: boolean } | undefined {
    const cloud = this.cloud;
    const { project, projectNumber } = cloud.opts;
    const md = cloud.metadataOf(inst);
    const sa = inst.serviceAccounts[0];
    const saKeys = sa === undefined ? [] : ['default', sa.email];
    const m = /^instance\/service-accounts\/([^/]+)\/(token|email|scopes|aliases)?\/?$/.exec(key);
    if (m !== null) {
      if (sa === undefined || !saKeys.includes(m[1] ?? '')) return undefined;
      if (m[2] === 'token') {
        const body = this.token(inst);
        return body === undefined ? undefined : { body, json: true };
      }
      if (m[2] === 'email') return { body: sa.email };
      if (m[2] === 'scopes') return { body: sa.scopes.join('\n') + '\n' };
      if (m[2] === 'aliases') return { body: 'default\n' };
      return recursive ? { json: true, body: JSON.stringify({ aliases: ['default'], email: sa.email, scopes: sa.scopes }) } : { body: 'aliases\nemail\nidentity\nscopes\ntoken\n' };
    }
    const attr = /^(instance|project)\/attributes\/(.*)$/.exec(key);
    if (attr !== null) {
      const items = attr[1] === 'project' ? Object.fromEntries(cloud.projectMetadata.map((i) => [i.key, i.value])) : Object.fromEntries(inst.metadata.map((i) => [i.key, i.value]));
      if (attr[2] === '') return recursive ? { json: true, body: JSON.stringify(items) } : { body: Object.keys(items).join('\n') + '\n' };
      const v = items[attr[2] ?? ''];
      return v === undefined ? undefined : { body: v };
    }
    const ga = /^instance\/guest-attributes\/(.+)$/.exec(key);
    if (ga !== null) {
      const v = inst.guestAttributes.get(ga[1] ?? '');
      return v === undefined ? undefined : { body: v };
    }
    const running = inst.status === 'RUNNING' || inst.status === 'STOPPING';
    const simple: Record<string, string | undefined> = {
      'instance/id': inst.id,
      'instance/name': inst.name,
      'instance/hostname': `${inst.name}.${inst.zone}.c.${project}.internal`,
      'instance/zone': `projects/${projectNumber}/zones/${inst.zone}`,
      'instance/machine-type': `projects/${projectNumber}/machineTypes/${inst.machineType}`,
      'instance/preempted': inst.preempted ? 'TRUE' : 'FALSE',
      'instance/maintenance-event': 'NONE',
      'instance/scheduling/preemptible': inst.scheduling.preemptible ? 'TRUE' : 'FALSE',
      'instance/scheduling/provisioning-model': inst.scheduling.provisioningModel,
      'instance/network-interfaces/0/ip': inst.lease?.privateIp,
      'instance/network-interfaces/0/access-configs/0/external-ip': inst.external && running ? inst.lease?.publicIp : undefined,
      'instance/service-accounts/': saKeys.map((k) => `${k}/`).join('\n') + '\n',
      'project/project-id': project,
      'project/numeric-project-id': projectNumber,
    };
    if (key === 'instance' || key === 'instance/') {
      return recursive ? { json: true, body: JSON.stringify({ id: inst.id, name: inst.name, zone: simple['instance/zone'], attributes: md }) } : { body: 'attributes/\nhostname\nid\nmachine-type\nname\nnetwork-interfaces/\npreempted\nscheduling/\nservice-accounts/\nzone\n' };
    }
    if (key === 'project' || key === 'project/') return { body: 'attributes/\nnumeric-project-id\nproject-id\n' };
    return simple[key] === undefined ? undefined : { body: simple[key] };
  }
}
