/**
 * The EC2 instance metadata service as a spot node's agent reads it: IMDSv2 only (a PUT for a session token,
 * then GETs that present it). The endpoint is the SDK's own setting, AWS_EC2_METADATA_SERVICE_ENDPOINT, or
 * EC2's link-local default; the agent does not load the SDK for two HTTP calls.
 */
import { request } from 'node:http';

/** One metadata path's text; undefined when the service has nothing there (404). */
export interface InstanceMetadata {
  get(path: string): Promise<string | undefined>;
}

/** EC2's own address, used only when AWS_EC2_METADATA_SERVICE_ENDPOINT is not set (tests always set it). */
const EC2_DEFAULT = 'http://169.254.169.254';
const TOKEN_TTL_S = 21_600;
/** Each call's deadline: a poll that hangs would hide the notice it polls for. */
const CALL_TIMEOUT_MS = 2_000;

export class MetadataError extends Error {
  override name = 'MetadataError';
}

function call(url: URL, method: 'GET' | 'PUT', headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: CALL_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 64 * 1024) body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new MetadataError(`no answer from ${url.origin} within ${CALL_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** IMDSv2 at `endpoint`; the token is renewed before it expires, and once more when the service refuses it. */
export function imdsV2(endpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? EC2_DEFAULT, now: () => number = Date.now): InstanceMetadata {
  const base = new URL(endpoint);
  let token: { value: string; until: number } | undefined;
  const fresh = async (): Promise<string> => {
    if (token !== undefined && token.until > now()) return token.value;
    const r = await call(new URL('/latest/api/token', base), 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_S) });
    if (r.status !== 200) throw new MetadataError(`IMDS at ${base.origin} refused a session token (HTTP ${r.status})`);
    token = { value: r.body, until: now() + (TOKEN_TTL_S - 60) * 1000 };
    return token.value;
  };
  return {
    async get(path) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const r = await call(new URL(path, base), 'GET', { 'x-aws-ec2-metadata-token': await fresh() });
        if (r.status === 200) return r.body;
        if (r.status === 404) return undefined;
        if (r.status !== 401) throw new MetadataError(`IMDS at ${base.origin} answered ${path} with HTTP ${r.status}`);
        token = undefined; // expired or from another address: one new token, then give up
      }
      throw new MetadataError(`IMDS at ${base.origin} refused its own session token for ${path}`);
    },
  };
}
