// bench/gcs-store.ts — the GCS store backends on the same work: updates per second with N updates grouped in one
// event-loop turn (one batch, one transaction), the time to open a store holding 10k records (load into the
// mirror), and the process's RSS after that load. Run: npm run bench:gcs
//
// sqlite runs with node-sqlite3-wasm (the backend's driver). To compare with better-sqlite3 (the native addon the
// backend does not use, so not a dependency), install it anywhere and name its folder:
//   BENCH_BETTER_SQLITE3=/some/dir/node_modules/better-sqlite3 npm run bench:gcs
// redis runs when redis-server is on the PATH (started here on loopback, stopped by pid).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../src/head/gcs/backend.js';
import { MemoryDatabase } from '../src/head/gcs/memory.js';
import { openBackend } from '../src/head/gcs/open.js';
import { redisBackend, redisSpec } from '../src/head/gcs/redis.js';
import { type SqliteDriver, sqliteBackend } from '../src/head/gcs/sqlite.js';
import type { GcsStore } from '../src/head/gcs/store.js';
import { freePort } from '../test/helpers/free-port.js';
import { until } from '../test/helpers/until.js';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 2000);
const LOADED = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'raylaunch-bench-gcs-'));

/** A record the size of a node or job record. */
const record = (i: number) => ({ nodeId: `node-${i}`, nodeType: 'worker', kind: 'worker', address: `10.0.${i >> 8}.${i & 255}`, objectAddress: `10.0.0.1:${7000 + (i % 1000)}`, pid: 1000 + i, state: 'ALIVE', total: { CPU: 40000, memory: 16e9 }, registeredAt: 1_700_000_000_000 + i });

interface Candidate {
  name: string;
  /** A backend over the same place each time (a reopen is a restart). */
  place(): () => Promise<Backend>;
}

function betterSqliteDriver(path: string): (file: string) => Promise<SqliteDriver> {
  interface Db { exec(s: string): void; prepare(s: string): { run(...p: unknown[]): { changes: number }; all(): Record<string, unknown>[] }; close(): void }
  const Better = createRequire(import.meta.url)(path) as new (file: string) => Db;
  return (file) => {
    const db = new Better(file);
    const cache = new Map<string, ReturnType<Db['prepare']>>();
    const st = (sql: string) => cache.get(sql) ?? (cache.set(sql, db.prepare(sql)), db.prepare(sql));
    return Promise.resolve({ exec: (s) => db.exec(s), run: (s, p) => st(s).run(...p).changes, all: (s) => st(s).all(), close: () => db.close() });
  };
}

let n = 0;
const sqliteAt = (driver?: (file: string) => Promise<SqliteDriver>) => () => {
  const file = join(dir, `gcs-${++n}.sqlite`);
  return () => (driver ? sqliteBackend(file, driver) : sqliteBackend(file));
};

const candidates: Candidate[] = [
  { name: 'memory', place: () => { const db = new MemoryDatabase(); return () => Promise.resolve(db.backend()); } },
  { name: 'sqlite (node-sqlite3-wasm)', place: sqliteAt() },
];
if (process.env.BENCH_BETTER_SQLITE3) candidates.push({ name: 'sqlite (better-sqlite3)', place: sqliteAt(betterSqliteDriver(process.env.BENCH_BETTER_SQLITE3)) });

let redis: ChildProcess | undefined;
if (spawnSync('redis-server', ['--version']).status === 0) {
  const port = await freePort();
  redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const spec = redisSpec(`redis://127.0.0.1:${port}/0`, { env: {} });
  await until('redis-server', 10_000, async () => redisBackend(spec, 'probe').then(async (b) => { await b.close(); return true; }, () => undefined));
  candidates.push({ name: 'redis (ioredis, loopback)', place: () => { const cluster = `bench${++n}`; return () => redisBackend(spec, cluster); } });
}

/** Updates per second with `perTurn` updates in each turn (each turn waits for its batch to be durable). */
async function updatesPerSecond(store: GcsStore, perTurn: number): Promise<number> {
  const t = store.table<ReturnType<typeof record>>('nodes');
  const t0 = performance.now();
  for (let done = 0; done < UPDATES; done += perTurn) {
    const writes: Promise<void>[] = [];
    for (let i = 0; i < perTurn; i++) writes.push(t.update(`k${(done + i) % 500}`, () => record(done + i)));
    await Promise.all(writes);
  }
  return UPDATES / ((performance.now() - t0) / 1000);
}

const rows: string[][] = [];
try {
  for (const c of candidates) {
    const open = c.place();
    const store = await openBackend(await open());
    const rates: string[] = [];
    for (const per of [1, 10, 100]) rates.push(Math.round(await updatesPerSecond(store, per)).toLocaleString('en-US'));
    const t = store.table<ReturnType<typeof record>>('loaded');
    for (let i = 0; i < LOADED; i += 1000) await Promise.all(Array.from({ length: 1000 }, (_, j) => t.update(`n${i + j}`, () => record(i + j))));
    await store.close();
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const again = await openBackend(await open());
    const loadMs = performance.now() - t0;
    if (again.table('loaded').size !== LOADED) throw new Error(`${c.name}: loaded ${again.table('loaded').size} records, not ${LOADED}`);
    const rss = process.memoryUsage().rss;
    await again.close();
    rows.push([c.name, ...rates, `${loadMs.toFixed(0)} ms`, `${(rss / 2 ** 20).toFixed(0)} MiB (+${((rss - rss0) / 2 ** 20).toFixed(0)})`]);
  }
} finally {
  if (redis?.pid !== undefined && redis.exitCode === null) process.kill(redis.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

const head = ['backend', 'updates/s, 1 per turn', '10 per turn', '100 per turn', `open + load ${LOADED / 1000}k records`, 'RSS after load'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
const line = (r: string[]) => `| ${r.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log([line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
console.log(`(${UPDATES} updates per column over 500 keys; records of ~250 bytes; RSS of this one process, backends run one after another)`);
