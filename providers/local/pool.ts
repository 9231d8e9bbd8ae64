/**
 * Which hosts of a local cluster are in use, and by what. Kept in one file on the head, whose autoscaler is its
 * only writer; `down` reads it over SSH once the head's service is stopped, and removes it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsError, ProviderConfigError } from '../errors.js';
import type { NodeKind } from '../provider.js';

export interface PoolEntry {
  nodeType: string;
  kind: NodeKind;
  requestId: string;
  tags: Record<string, string>;
  /**
   * running: handed out to a node (older pool files may say setting-up, which means the same); failed: its
   * setup failed, and it sits out a cool-down before it is handed out again.
   */
  state: 'running' | 'failed';
  since: number;
  error?: string;
}

/** The pool's file in the cluster's state folder on the head (`down` reads it there to find the workers). */
export const LOCAL_POOL_FILE = 'local-pool.json';

/** host address → what it runs */
export type Pool = Record<string, PoolEntry>;

export interface PoolStore {
  read(): Promise<Pool>;
  write(pool: Pool): Promise<void>;
}

/** The pool file on the machine this runs on (the head). */
export class FilePoolStore implements PoolStore {
  constructor(private readonly file: string) {}

  read(): Promise<Pool> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve({});
      return Promise.reject(fsError('read', this.file, e));
    }
    try {
      return Promise.resolve(JSON.parse(text) as Pool);
    } catch {
      return Promise.reject(new ProviderConfigError(`the host pool file ${this.file} is damaged (not JSON)`, {
        hint: 'stop the cluster with raylaunch down (it then tries every host of worker_ips) and start it again',
      }));
    }
  }

  write(pool: Pool): Promise<void> {
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      writeFileSync(`${this.file}.tmp`, JSON.stringify(pool, null, 1), { mode: 0o600 });
      renameSync(`${this.file}.tmp`, this.file);
    } catch (e) {
      return Promise.reject(fsError('write', this.file, e));
    }
    return Promise.resolve();
  }
}

/** A pool that lives only in memory: the conformance suite and a head that has not written its file yet. */
export class MemoryPoolStore implements PoolStore {
  private pool: Pool = {};

  read(): Promise<Pool> {
    return Promise.resolve(structuredClone(this.pool));
  }

  write(pool: Pool): Promise<void> {
    this.pool = structuredClone(pool);
    return Promise.resolve();
  }
}
