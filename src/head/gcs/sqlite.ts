/**
 * The sqlite backend, the default: one file in the head's state dir (`<state dir>/gcs.sqlite`), every batch of
 * writes (one event-loop turn's) in one transaction with a compare-and-set per row.
 *
 * Why node-sqlite3-wasm and not better-sqlite3: the runtime bundle carries no native addon and a cloud head may
 * be arm64. better-sqlite3 is a native addon built per platform (its install compiles for ~2 min here, and
 * nothing could build or fetch an arm64 one to ship), so every head would need a build of its own delivered;
 * the WebAssembly build is one 1.3 MB file that runs wherever Node runs, shipped beside the bundle (see
 * src/runtime/build.ts). What it costs, from `npm run bench:gcs` on this machine (2 shared cores, shared disk;
 * both drivers under this backend's settings):
 *
 *   | sqlite driver   | updates/s, 1 per turn | 10 per turn | 100 per turn | open + load 10k records | RSS after |
 *   | wasm (chosen)   | 679                   | 7,712       | 45,428       | 95 ms                   | 148 MiB   |
 *   | better-sqlite3  | 644                   | 10,586      | 77,095       | 53 ms                   | 154 MiB   |
 *
 * One update per turn both wait on the disk's sync; grouped, the native build is up to ~1.7× faster. The head
 * writes records on node, job and request_resources events, never per task, so neither is near its limit, and
 * portability wins. The wasm build has no WAL (no shared memory): it runs with a rollback
 * journal, and takes its lock as a `<file>.lock` directory (its VFS's way), which a head killed inside a
 * transaction leaves behind: the single head that owns this state dir removes it when it opens the file (a second
 * head on the same file is caught by the versions, not by this lock).
 */
import { closeSync, fchmodSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Backend, Row, WriteOp } from './backend.js';
import { StoreConflictError } from './store.js';

/** The part of a synchronous sqlite binding this backend uses (both candidates have this shape). */
export interface SqliteDriver {
  exec(sql: string): void;
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params: (string | number)[]): number;
  all(sql: string): Record<string, unknown>[];
  close(): void;
}

interface WasmDatabase {
  exec(sql: string): void;
  prepare(sql: string): { run(values: (string | number)[]): { changes: number }; all(): Record<string, unknown>[]; finalize(): void };
  close(): void;
}

/**
 * node-sqlite3-wasm, loaded when the first sqlite store opens (a head on another store never compiles it). In the
 * runtime bundle its .wasm file sits beside the chunk that holds its JavaScript (its loader looks in its own
 * folder), copied there by the runtime build (src/runtime/build.ts).
 */
export async function wasmDriver(file: string): Promise<SqliteDriver> {
  const mod = (await import('node-sqlite3-wasm')) as unknown as { default: { Database: new (file: string) => WasmDatabase } };
  const { Database } = mod.default;
  // Left by a head killed inside a transaction (see the top of this file).
  rmSync(`${file}.lock`, { recursive: true, force: true });
  const db = new Database(file);
  const statements = new Map<string, ReturnType<WasmDatabase['prepare']>>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  return {
    exec: (sql) => db.exec(sql),
    run: (sql, params) => prepared(sql).run(params).changes,
    all: (sql) => prepared(sql).all(),
    close: () => {
      for (const s of statements.values()) s.finalize();
      db.close();
    },
  };
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS records (
  tbl TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (tbl, key)
) WITHOUT ROWID`;

/** The store file of a head: `<state dir>/gcs.sqlite`. */
export const sqliteFile = (stateDir: string) => join(stateDir, 'gcs.sqlite');

export async function sqliteBackend(file: string, driver: (file: string) => Promise<SqliteDriver> = wasmDriver): Promise<Backend> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // 0600 before sqlite opens it (its journal takes the same mode): job records hold their submission's --env.
  const fd = openSync(file, 'a', 0o600);
  fchmodSync(fd, 0o600);
  closeSync(fd);
  const db = await driver(file);
  // A rollback journal truncated rather than deleted (one file operation less per commit); NORMAL syncs the
  // database at each commit, so a commit survives the head's crash and, in all but rare cases, the machine's.
  db.exec('PRAGMA journal_mode = TRUNCATE');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec(SCHEMA);
  const conflict = (op: WriteOp) => new StoreConflictError(op.table, op.key, `sqlite ${file}`);
  const apply = (op: WriteOp): number => {
    if (op.version === undefined || op.value === undefined) {
      return db.run('DELETE FROM records WHERE tbl = ? AND key = ? AND version = ?', [op.table, op.key, op.expected ?? -1]);
    }
    if (op.expected === undefined) return db.run('INSERT OR IGNORE INTO records (tbl, key, version, value) VALUES (?, ?, ?, ?)', [op.table, op.key, op.version, op.value]);
    return db.run('UPDATE records SET version = ?, value = ? WHERE tbl = ? AND key = ? AND version = ?', [op.version, op.value, op.table, op.key, op.expected]);
  };
  return {
    load: () => Promise.resolve(db.all('SELECT tbl, key, version, value FROM records').map((r) => ({
      table: String(r.tbl), key: String(r.key), version: Number(r.version), value: String(r.value),
    } satisfies Row))),
    commit: (ops) => {
      try {
        db.exec('BEGIN IMMEDIATE');
        try {
          for (const op of ops) if (apply(op) !== 1) throw conflict(op);
          db.exec('COMMIT');
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e as Error);
      }
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}
