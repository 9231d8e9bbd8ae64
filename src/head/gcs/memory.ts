/**
 * The memory backend: `raylaunch.gcs_storage: memory`. State dies with the head. A MemoryDatabase outlives the
 * stores opened on it, so tests reopen one (a restart) or open two on it (two heads).
 */
import type { Backend, Row, WriteOp } from './backend.js';
import { StoreConflictError } from './store.js';

export class MemoryDatabase {
  /** `table\0key` → row. */
  readonly rows = new Map<string, Row>();

  backend(): Backend {
    return {
      load: () => Promise.resolve([...this.rows.values()].map((r) => ({ ...r }))),
      commit: (ops) => {
        try {
          this.commit(ops);
          return Promise.resolve();
        } catch (e) {
          return Promise.reject(e as Error);
        }
      },
      close: () => Promise.resolve(),
    };
  }

  private commit(ops: readonly WriteOp[]): void {
    for (const op of ops) {
      if (this.rows.get(rowKey(op))?.version !== op.expected) throw new StoreConflictError(op.table, op.key, 'memory');
    }
    for (const op of ops) {
      if (op.version === undefined || op.value === undefined) this.rows.delete(rowKey(op));
      else this.rows.set(rowKey(op), { table: op.table, key: op.key, version: op.version, value: op.value });
    }
  }
}

const rowKey = (r: { table: string; key: string }) => `${r.table}\0${r.key}`;
