/**
 * The GCE metadata server as a preemptible node's agent reads it: `Metadata-Flavor: Google` on every call, and
 * `wait_for_change` long-polls that return when the value's ETag moves. The host is google-auth-library's own
 * setting, GCE_METADATA_HOST, or GCE's link-local default; the agent does not load the library for one value.
 */
import { request } from 'node:http';
import { MetadataError } from './instance-metadata.js';

/** GCE's own address, used only when GCE_METADATA_HOST is not set (tests always set it). */
const GCE_DEFAULT = '169.254.169.254';
/** A plain call's deadline; a long-poll gets its own timeout_sec plus this. */
const CALL_TIMEOUT_MS = 5_000;

export interface GceValue {
  body: string;
  etag: string | undefined;
}

export interface GceMetadata {
  /** `instance/...` under /computeMetadata/v1/; undefined when the server has nothing there (404). */
  get(path: string, wait?: { lastEtag: string; timeoutSec: number }): Promise<GceValue | undefined>;
}

export function gceMetadata(host = process.env.GCE_METADATA_HOST ?? GCE_DEFAULT): GceMetadata {
  const base = new URL(`http://${host}`);
  return {
    get(path, wait) {
      const url = new URL(`/computeMetadata/v1/${path}`, base);
      if (wait) {
        url.searchParams.set('wait_for_change', 'true');
        url.searchParams.set('last_etag', wait.lastEtag);
        url.searchParams.set('timeout_sec', String(wait.timeoutSec));
      }
      const timeout = CALL_TIMEOUT_MS + (wait ? wait.timeoutSec * 1000 : 0);
      return new Promise((resolve, reject) => {
        const req = request(url, { headers: { 'Metadata-Flavor': 'Google' }, timeout }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => { if (body.length < 64 * 1024) body += d; });
          res.on('end', () => {
            if (res.statusCode === 404) resolve(undefined);
            else if (res.statusCode !== 200) reject(new MetadataError(`the metadata server at ${base.host} answered ${path} with HTTP ${res.statusCode ?? 0}`));
            else resolve({ body, etag: typeof res.headers.etag === 'string' ? res.headers.etag : undefined });
          });
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new MetadataError(`no answer from the metadata server at ${base.host} within ${timeout} ms`)));
        req.on('error', reject);
        req.end();
      });
    },
  };
}
