/**
 * The redis backend: `raylaunch.gcs_storage: redis://[user:password@]host:port/db` (or `rediss://`), for state
 * kept off the head. Each table is one hash, `raylaunch:<cluster>:<table>`, whose fields are the record keys
 * and whose values are `<version>:<json>`. A batch is one Lua script: it checks every row's version first and
 * writes only when all match, so a batch is atomic and a second head is refused (redis runs a script alone).
 *
 * Why ioredis (6.0.0) and not node-redis: one package with few dependencies where node-redis is several
 * (@redis/client, -json, -search, …); scripts by `EVALSHA` with its own fallback to `EVAL`; `rediss://`, ACL
 * users and `db` as plain options; and a per-request retry limit and offline-queue switch, so a head whose redis
 * is gone fails its write (and stops) instead of queueing writes forever.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Backend, Row, WriteOp } from './backend.js';
import { GcsStoreAuthError, GcsStoreUnreachableError } from './errors.js';
import { StoreConflictError } from './store.js';

/** Where a redis store is and how to log in; `password` never leaves this process in a message. */
export interface RedisSpec {
  url: string;
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** Where the password came from, for an error that names the setting to fix. */
  passwordFrom: 'url' | 'raylaunch.gcs_storage_password_file' | 'RAYLAUNCH_GCS_REDIS_PASSWORD' | 'none';
}

export const PASSWORD_ENV = 'RAYLAUNCH_GCS_REDIS_PASSWORD';

/** The URL with its password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/, '$1<redacted>@');
}

/**
 * The connection from the setting, a password file and the environment. A password file or the variable
 * wins over one written in the URL (so a URL without secrets can stay in the config).
 */
export function redisSpec(url: string, o: { passwordFile?: string; env?: NodeJS.ProcessEnv } = {}): RedisSpec {
  const u = new URL(url);
  const tls = u.protocol === 'rediss:';
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  const spec: RedisSpec = {
    url: redactRedisUrl(url), tls, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 6379, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}), passwordFrom: 'none',
  };
  const env = o.env ?? process.env;
  if (o.passwordFile !== undefined) {
    spec.password = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
    spec.passwordFrom = 'raylaunch.gcs_storage_password_file';
  } else if (env[PASSWORD_ENV]) {
    spec.password = env[PASSWORD_ENV];
    spec.passwordFrom = PASSWORD_ENV;
  } else if (u.password) {
    spec.password = decodeURIComponent(u.password);
    spec.passwordFrom = 'url';
  }
  return spec;
}

// KEYS: the tables' hashes. ARGV[1]: the number of writes; then per write: its hash's index in KEYS, the field,
// the version it must be at ('' = no row), the new `<version>:<json>` ('' = delete). Returns 0, or the 1-based
// number of the first write whose row was not at its version (and then writes nothing).
const COMMIT = `
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local b = 2 + i * 4
  local cur = redis.call('HGET', KEYS[tonumber(ARGV[b])], ARGV[b + 1])
  local v = ''
  if cur then v = string.match(cur, '^(%d+):') end
  if v ~= ARGV[b + 2] then return i + 1 end
end
for i = 0, n - 1 do
  local b = 2 + i * 4
  if ARGV[b + 3] == '' then
    redis.call('HDEL', KEYS[tonumber(ARGV[b])], ARGV[b + 1])
  else
    redis.call('HSET', KEYS[tonumber(ARGV[b])], ARGV[b + 1], ARGV[b + 3])
  end
end
return 0`;

const escapeGlob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/** How often opening retries a redis that does not answer, 100 ms apart, before it gives up. */
const OPEN_RETRIES = 20;

export async function redisBackend(spec: RedisSpec, clusterName: string): Promise<Backend> {
  const prefix = `raylaunch:${clusterName}:`;
  let opening = true;
  const options: RedisOptions = {
    host: spec.host, port: spec.port, db: spec.db, lazyConnect: true,
    ...(spec.username !== undefined ? { username: spec.username } : {}),
    ...(spec.password !== undefined ? { password: spec.password } : {}),
    ...(spec.tls ? { tls: { servername: spec.host } } : {}),
    // A write waits through one reconnect at most; then the store fails and the head stops (and a restarted
    // head reloads from redis) rather than diverging from it.
    maxRetriesPerRequest: 1, enableOfflineQueue: false,
    retryStrategy: (times) => (opening && times > OPEN_RETRIES ? null : Math.min(100 * times, 2000)),
    connectionName: `raylaunch-head-${clusterName}`,
  };
  const client = new Redis(options);
  let lastError: Error | undefined;
  client.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    const e = lastError ?? (err as Error);
    if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(e.message)) throw new GcsStoreAuthError(spec, e);
    throw new GcsStoreUnreachableError(spec, e);
  }
  opening = false;
  return {
    load: async () => {
      const rows: Row[] = [];
      let cursor = '0';
      const hashes = new Set<string>();
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) hashes.add(k);
      } while (cursor !== '0');
      for (const hash of hashes) {
        const table = hash.slice(prefix.length);
        for (const [key, stored] of Object.entries(await client.hgetall(hash))) {
          const colon = stored.indexOf(':');
          rows.push({ table, key, version: Number(stored.slice(0, colon)), value: stored.slice(colon + 1) });
        }
      }
      return rows;
    },
    commit: async (ops: readonly WriteOp[]) => {
      const hashes = [...new Set(ops.map((op) => prefix + op.table))];
      const index = new Map(hashes.map((h, i) => [h, i + 1]));
      const args: string[] = [String(ops.length)];
      for (const op of ops) {
        args.push(String(index.get(prefix + op.table)), op.key, op.expected === undefined ? '' : String(op.expected),
          op.version === undefined || op.value === undefined ? '' : `${op.version}:${op.value}`);
      }
      // As one array (ioredis flattens it): spread as arguments, a batch of many writes (a job's end deleting
      // its objects) overflows the call stack.
      const failed = Number(await client.eval(COMMIT, hashes.length, [...hashes, ...args]));
      const op = ops[failed - 1];
      if (op) throw new StoreConflictError(op.table, op.key, `redis ${spec.url}`);
    },
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
