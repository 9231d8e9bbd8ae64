// bench/tasks.ts — the runtime's figures on a process cluster (two 2-CPU workers) with each GCS store
// (raylaunch.gcs_storage memory, sqlite and redis: one cluster each, their runs interleaved), each the median of 3
// runs, next to a baseline measured in the same run, Ray's published figure, and sqlite's ratio to memory (goal:
// within 10 %). redis runs on a redis-server this bench starts on loopback (and stops by pid), when one is
// installed. Run: npm run bench:tasks
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { type RedisServer, startRedis } from '../test/helpers/redis-server.js';

const ROOT = new URL('..', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'raylaunch-bench-'));
process.env.RAYLAUNCH_HOME = home;
const env = { ...process.env, RAYLAUNCH_HOME: home };

/** One store's pair of clusters: the figures' and the node-start one. */
interface StoreClusters { store: string; name: string; startName: string }

/** Writes a store's two cluster configs; `storage` is its raylaunch.gcs_storage. */
function clustersFor(store: string, storage: string): StoreClusters & { configs: string[] } {
  const name = `bench${store}${process.pid}`;
  const startName = `benchstart${store}${process.pid}`;
  const configFile = join(home, `${name}.yaml`);
  writeFileSync(configFile, [
    // A fixed-size cluster (max_workers reached): the head may send tasks ahead to busy nodes.
    `cluster_name: ${name}`, 'provider: {type: process}', 'max_workers: 2', 'available_node_types:',
    '  head: {resources: {CPU: 0}}', '  worker: {resources: {CPU: 2}, min_workers: 2, max_workers: 2}',
    'head_node_type: head', `raylaunch: {gcs_storage: '${storage}'}`, '',
  ].join('\n'));
  // The node-start figure has a cluster of its own that can grow (the figures' cluster is at max_workers on
  // purpose): the autoscaler acts on a request at once (no batching window), and the node is taken away after
  // each run.
  const startConfigFile = join(home, `${startName}.yaml`);
  writeFileSync(startConfigFile, [
    `cluster_name: ${startName}`, 'provider: {type: process}', 'max_workers: 1', 'available_node_types:',
    '  head: {resources: {CPU: 0}}', '  spare: {resources: {CPU: 1}, min_workers: 0, max_workers: 1}', 'head_node_type: head',
    `raylaunch: {demand_batch_ms: 0, gcs_storage: '${storage}'}`, '',
  ].join('\n'));
  return { store, name, startName, configs: [configFile, startConfigFile] };
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`raylaunch ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Process node start: a request for one CPU more than the cluster has → the node the autoscaler launches for it
 * registered with the head (nodes are launched by the head, which hands each its credential). The node is then
 * terminated, so each run starts from the head alone.
 */
function nodeStart(startName: string): number {
  let out: string;
  try {
    out = cli(['submit', '-c', startName, join(ROOT, 'bench/jobs/node-start.ts')]);
  } finally {
    cli(['down', '-c', startName, '--workers-only', '-y']);
  }
  const m = /^NODE_START (.*)$/m.exec(out);
  if (!m?.[1]) throw new Error(`the node-start job printed no figure:\n${out}`);
  return (JSON.parse(m[1]) as { ms: number }).ms;
}

/** The raw relay: three processes, one small frame per message. */
async function baselineRelay(): Promise<{ async: number; sync: number }> {
  const file = join(ROOT, 'bench/ws-relay.ts');
  const start = (role: string, port = '') => spawn(process.execPath, ['--import', 'tsx', file, role, port], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = (p: ReturnType<typeof start>) => new Promise<string>((resolve) => {
    let buf = '';
    p.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.trim());
    });
  });
  const relay = start('relay');
  const port = await line(relay);
  const worker = start('worker', port);
  await line(worker);
  const driver = start('driver', port);
  const out = await line(driver);
  for (const p of [relay, worker, driver]) p.kill('SIGKILL');
  return JSON.parse(out.replace(/^BASELINE /, '')) as { async: number; sync: number };
}

/** In-process baselines: what a small put/get and a 100 MB move cost at the least (no processes involved). */
function baselineLocal(): { smallOps: number; memcpyMBs: number; processStartMs: number } {
  let t0 = performance.now();
  for (let i = 0; i < 100_000; i++) deserialize(serialize(i));
  const smallOps = Math.round(100_000 / ((performance.now() - t0) / 1000));
  const src = Buffer.alloc(100_000_000, 1);
  const dst = Buffer.allocUnsafe(100_000_000);
  t0 = performance.now();
  for (let i = 0; i < 5; i++) src.copy(dst);
  const memcpyMBs = Math.round(500 / ((performance.now() - t0) / 1000));
  t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return { smallOps, memcpyMBs, processStartMs: Math.round(performance.now() - t0) };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Each row: the figure's key in a run, whether more is better, the baseline and what it is, Ray's figure, the goal. */
type Row = [figure: string, key: string, higherIsBetter: boolean, baseline: (b: Baselines) => number, baselineIs: string, ray: string, goal: string];
interface Baselines { relay: { async: number; sync: number }; local: ReturnType<typeof baselineLocal> }
const ROWS: Row[] = [
  ['no-op tasks/s, 1000 in flight', 'tasks_async', true, (b) => b.relay.async, 'ws relay, 1000 in flight', '8,051/s', '≥ 8,000/s'],
  ['sync task round trips/s', 'tasks_sync', true, (b) => b.relay.sync, 'ws relay, 1 outstanding', '1,046/s', '≥ 1,500/s'],
  ['actor calls/s, sync', 'actor_sync', true, (b) => b.relay.sync, 'ws relay, 1 outstanding', '2,051/s', '≥ 2,000/s'],
  ['actor calls/s, 1000 in flight', 'actor_async', true, (b) => b.relay.async, 'ws relay, 1000 in flight', '8,719/s', '≥ 10,000/s'],
  ['put/s (small, local)', 'put_local', true, (b) => b.local.smallOps, 'v8 serialize+deserialize/s', '5,521/s', '≥ 5,000/s'],
  ['get/s (small, local hit)', 'get_local', true, (b) => b.local.smallOps, 'v8 serialize+deserialize/s', '10,344/s', '≥ 50,000/s'],
  ['get/s (small, from another node)', 'get_remote', true, (b) => b.relay.sync, 'ws relay, 1 outstanding', '—', '≥ 4,000/s'],
  ['MB/s, 100 MB object between two workers', 'mb_per_s_100mb', true, (b) => b.local.memcpyMBs, 'memcpy of 100 MB, MB/s', '—', '≥ 200 MB/s'],
  ['process node start, request → registered (ms)', 'node_start_ms', false, (b) => b.local.processStartMs, 'node -e 0 (ms)', '—', '≤ 1,000 ms'],
];

/** sqlite's figure over memory's, marked against the goal (within 10 %, on the side that matters). */
function sqliteRatio(sqlite: number, memory: number, higherIsBetter: boolean): string {
  const r = sqlite / memory;
  return `${r.toFixed(2)} ${(higherIsBetter ? r >= 0.9 : r <= 1.1) ? '✓' : '✗'}`;
}

async function main(): Promise<void> {
  const job = join(ROOT, 'bench/jobs/figures.ts');
  const stores = [clustersFor('memory', 'memory'), clustersFor('sqlite', 'sqlite')];
  const notes: string[] = [];
  let redis: RedisServer | undefined;
  const runs = new Map<string, Record<string, number>[]>(stores.map((s) => [s.store, []]));
  const baselines: Baselines[] = [];
  const up: StoreClusters[] = [];
  const failedDowns: unknown[] = [];
  try {
    if (spawnSync('redis-server', ['--version']).status === 0) {
      redis = await startRedis();
      stores.push(clustersFor('redis', redis.url()));
      runs.set('redis', []);
    } else {
      notes.push('redis: skipped, redis-server is not installed (Debian: apt-get install redis-server)');
    }
    for (const s of stores) {
      process.stderr.write(`starting clusters ${s.name} and ${s.startName} (gcs_storage ${s.store})…\n`);
      up.push(s);
      for (const c of s.configs) cli(['up', c, '-y']);
    }
    for (let i = 0; i < 3; i++) {
      // One run of every store per round, so what else the machine does meanwhile falls on each alike.
      for (const s of stores) {
        process.stderr.write(`run ${i + 1}/3, ${s.store}…\n`);
        const out = cli(['submit', '-c', s.name, job]);
        const m = /^BENCH (.*)$/m.exec(out);
        if (!m?.[1]) throw new Error(`the bench job printed no figures:\n${out}`);
        // A node-start run that fails is printed under the table (and left out of its median), not the end of the bench.
        let start: number | undefined;
        try {
          start = nodeStart(s.startName);
        } catch (e) {
          notes.push(`run ${i + 1}, ${s.store}: the node-start job failed: ${(e as Error).message.split('\n').filter(Boolean).slice(-2).join(' / ')}`);
        }
        runs.get(s.store)?.push({ ...(JSON.parse(m[1]) as Record<string, number>), ...(start !== undefined ? { node_start_ms: start } : {}) });
      }
      baselines.push({ relay: await baselineRelay(), local: baselineLocal() });
    }
  } finally {
    // Every cluster goes down even when one down fails; the first failure is reported after.
    for (const s of up) {
      for (const name of [s.startName, s.name]) {
        try {
          cli(['down', '-c', name]);
        } catch (e) {
          failedDowns.push(e);
        }
      }
    }
    await redis?.stop();
    rmSync(home, { recursive: true, force: true });
  }
  if (failedDowns.length > 0) throw failedDowns[0] as Error;
  const fig = (store: string, k: string) => Math.round(median((runs.get(store) ?? []).flatMap((r) => (r[k] !== undefined ? [r[k]] : []))));
  const names = stores.map((s) => s.store);
  const header = ['figure', ...names.map((n) => `${n} (median of 3)`), 'sqlite ÷ memory', 'baseline (same run)', 'baseline is', 'Ray (64 vCPU)', 'goal'];
  const table = [header, ...ROWS.map(([f, key, higher, baseline, what, ray, goal]) => [
    f, ...names.map((n) => fmt(fig(n, key))), sqliteRatio(fig('sqlite', key), fig('memory', key), higher),
    fmt(Math.round(median(baselines.map(baseline)))), what, ray, goal,
  ])];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  console.log(table.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`).join('\n'));
  console.log(`\ntasks ran in ${names.map((n) => `${fig(n, 'worker_pids')} (${n})`).join(', ')} distinct worker processes (never in the head or an agent)`);
  for (const n of notes) console.log(n);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
