import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { HttpError, type Route, sendJson } from './router.js';

const HASH = /^[0-9a-f]{64}$/;

/**
 * Uploaded packages (a job's bundle, a packed working directory) by the SHA-256 of their content, as Ray's
 * `gcs://_ray_pkg_<hash>.zip`: a client asks first and uploads only what the head does not have, and what it
 * uploads is kept only when its content has the hash it is named by. A job copies what it uses into its own
 * folder, so packages are only a cache: past `capBytes` in all, the least recently asked for go.
 */
export class PackageStore {
  constructor(private readonly dir: string, readonly limitBytes: number, readonly capBytes = 2 * limitBytes) {}

  private file(hash: string): string {
    return join(this.dir, hash);
  }

  /** The package's size, undefined when the head does not have it; asking keeps it from eviction a while longer. */
  size(hash: string): number | undefined {
    try {
      const { size } = statSync(this.file(hash));
      const now = new Date();
      utimesSync(this.file(hash), now, now);
      return size;
    } catch {
      return undefined;
    }
  }

  /** Removes the least recently asked for packages past capBytes, never `keep`. */
  private evict(keep: string): void {
    const all = readdirSync(this.dir).filter((f) => HASH.test(f) && f !== keep).flatMap((f) => {
      try {
        const st = statSync(this.file(f));
        return [{ f, size: st.size, at: st.mtimeMs }];
      } catch {
        return []; // removed meanwhile
      }
    }).sort((a, b) => a.at - b.at);
    let total = all.reduce((n, p) => n + p.size, statSync(this.file(keep)).size);
    for (const p of all) {
      if (total <= this.capBytes) break;
      rmSync(this.file(p.f), { force: true });
      total -= p.size;
    }
  }

  read(hash: string): Uint8Array | undefined {
    try {
      return readFileSync(this.file(hash));
    } catch {
      return undefined;
    }
  }

  /** Writes a request's body as package `hash`; refused (400) when the content's hash differs, (413) past the limit. */
  async write(hash: string, body: IncomingMessage): Promise<number> {
    const declared = Number(body.headers['content-length'] ?? 0);
    if (declared > this.limitBytes) throw tooLarge(this.limitBytes);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.${hash}.${randomBytes(4).toString('hex')}.tmp`);
    const sha = createHash('sha256');
    let size = 0;
    const limit = this.limitBytes;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) return done(tooLarge(limit));
        sha.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(tmp, { mode: 0o600 }));
      const got = sha.digest('hex');
      if (got !== hash) throw new HttpError(400, `the package's content has SHA-256 ${got}, not ${hash}: upload it under its own hash`);
      renameSync(tmp, this.file(hash));
      this.evict(hash);
      return size;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}

const tooLarge = (limit: number) => new HttpError(413,
  `the package is over ${(limit / 1048576).toFixed(1)} MB, more than this cluster takes (raylaunch.max_upload_mb and max_upload_files in the cluster config): add large files to .gitignore or upload a smaller folder`);

function hashParam(params: Record<string, string>): string {
  const hash = params.hash ?? '';
  if (!HASH.test(hash)) throw new HttpError(400, `the package ${JSON.stringify(hash)} is not a SHA-256 in lowercase hex (64 characters): name a package by its content's hash`);
  return hash;
}

/** GET (is it there?) and PUT (upload) /api/packages/{hash}. */
export function packageRoutes(store: PackageStore): Route[] {
  return [
    {
      method: 'GET', path: '/api/packages/:hash',
      handle: ({ res, params }) => {
        const hash = hashParam(params);
        const size = store.size(hash);
        if (size === undefined) throw new HttpError(404, `no package ${hash} on the head: upload it with PUT /api/packages/${hash}`);
        sendJson(res, 200, { uri: `pkg://${hash}`, size });
      },
    },
    {
      method: 'PUT', path: '/api/packages/:hash',
      handle: async ({ req, res, params }) => {
        const hash = hashParam(params);
        const had = store.size(hash);
        const size = had ?? await store.write(hash, req);
        if (had !== undefined) req.resume(); // the same content is there already: the body is not needed
        sendJson(res, had === undefined ? 201 : 200, { uri: `pkg://${hash}`, size });
      },
    },
  ];
}
