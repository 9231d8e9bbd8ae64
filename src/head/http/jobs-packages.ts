import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { HttpError, type Route, sendJson } from './router.js';

const HASH = /^[0-9a-f]{64}$/;

/**
 * Uploaded packages (a job's bundle, a packed working directory) by the SHA-256 of their content, as Ray's
 * `gcs://_ray_pkg_<hash>.zip`: a client asks first and uploads only what the head does not have, and what it
 * uploads is kept only when its content has the hash it is named by.
 */
export class PackageStore {
  constructor(private readonly dir: string, readonly limitBytes: number) {}

  private file(hash: string): string {
    return join(this.dir, hash);
  }

  size(hash: string): number | undefined {
    try {
      return statSync(this.file(hash)).size;
    } catch {
      return undefined;
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
