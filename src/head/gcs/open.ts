/** Opens the store `raylaunch.gcs_storage` names and loads its mirror: the head does this before it listens. */
import type { Backend } from './backend.js';
import { MemoryDatabase } from './memory.js';
import { MirrorStore } from './mirror.js';
import { redisBackend, redisSpec } from './redis.js';
import { sqliteBackend, sqliteFile } from './sqlite.js';
import type { GcsStore } from './store.js';

export interface OpenOptions {
  clusterName: string;
  /** The head's state dir: the sqlite file lives there. */
  stateDir: string;
  /** raylaunch.gcs_storage_password_file. */
  passwordFile?: string;
  env?: NodeJS.ProcessEnv;
  /** A write failed: the head must stop (its mirror is ahead of the store). */
  failed?(error: Error): void;
  /** For `memory`: the database to open (tests reopen one); a fresh one by default. */
  memory?: MemoryDatabase;
}

/** `memory`, `sqlite` or a redis URL (the config's validation has checked it). */
export async function openStore(spec: string, o: OpenOptions): Promise<GcsStore> {
  return openBackend(await backendFor(spec, o), o);
}

export async function openBackend(backend: Backend, o: Pick<OpenOptions, 'failed'> = {}): Promise<GcsStore> {
  const store = new MirrorStore(backend, o.failed ? { failed: o.failed } : {});
  try {
    store.load(await backend.load());
  } catch (e) {
    await backend.close();
    throw e;
  }
  return store;
}

async function backendFor(spec: string, o: OpenOptions): Promise<Backend> {
  if (spec === 'memory') return (o.memory ?? new MemoryDatabase()).backend();
  if (spec === 'sqlite') return sqliteBackend(sqliteFile(o.stateDir));
  return redisBackend(redisSpec(spec, { ...(o.passwordFile !== undefined ? { passwordFile: o.passwordFile } : {}), ...(o.env ? { env: o.env } : {}) }), o.clusterName);
}

/** A fresh memory store, for tests and tools that need a store and no durability. */
export function memoryStore(): GcsStore {
  return new MirrorStore(new MemoryDatabase().backend());
}
