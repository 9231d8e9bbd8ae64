// bench/tasks.ts — the runtime's figures on one process cluster (two 2-CPU workers), each the median of 3 runs,
// next to a baseline measured in the same run and Ray's published figure. Run: npm run bench:tasks
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';

const ROOT = new URL('..', import.meta.url).pathname;
const NAME = `bench${process.pid}`;
const home = mkdtempSync(join(tmpdir(), 'raylaunch-bench-'));
process.env.RAYLAUNCH_HOME = home;
const env = { ...process.env, RAYLAUNCH_HOME: home };
const configFile = join(home, 'bench.yaml');
writeFileSync(configFile, [
  // A fixed-size cluster (max_workers reached): the head may send tasks ahead to busy nodes.
  `cluster_name: ${NAME}`, 'provider: {type: process}', 'max_workers: 2', 'available_node_types:',
  '  head: {resources: {CPU: 0}}', '  worker: {resources: {CPU: 2}, min_workers: 2, max_workers: 2}',
  'head_node_type: head', '',
].join('\n'));
// The node-start figure has a cluster of its own that can grow (the figures' cluster is at max_workers on purpose):
// the autoscaler acts on a request at once (no batching window), and the node is taken away after each run.
const START_NAME = `benchstart${process.pid}`;
const startConfigFile = join(home, 'bench-start.yaml');
writeFileSync(startConfigFile, [
  `cluster_name: ${START_NAME}`, 'provider: {type: process}', 'max_workers: 1', 'available_node_types:',
  '  head: {resources: {CPU: 0}}', '  spare: {resources: {CPU: 1}, min_workers: 0, max_workers: 1}', 'head_node_type: head',
  'raylaunch: {demand_batch_ms: 0}', '',
].join('\n'));

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
function nodeStart(): number {
  const out = cli(['submit', '-c', START_NAME, join(ROOT, 'bench/jobs/node-start.ts')]);
  const m = /^NODE_START (.*)$/m.exec(out);
  if (!m?.[1]) throw new Error(`the node-start job printed no figure:\n${out}`);
  cli(['down', '-c', START_NAME, '--workers-only', '-y']);
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

async function main(): Promise<void> {
  const job = join(ROOT, 'bench/jobs/figures.ts');
  process.stderr.write(`starting cluster ${NAME}…\n`);
  cli(['up', configFile, '-y']);
  cli(['up', startConfigFile, '-y']);
  const runs: Record<string, number>[] = [];
  const relay: { async: number; sync: number }[] = [];
  const local: ReturnType<typeof baselineLocal>[] = [];
  const starts: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      process.stderr.write(`run ${i + 1}/3…\n`);
      const out = cli(['submit', '-c', NAME, job]);
      const m = /^BENCH (.*)$/m.exec(out);
      if (!m?.[1]) throw new Error(`the bench job printed no figures:\n${out}`);
      runs.push(JSON.parse(m[1]) as Record<string, number>);
      relay.push(await baselineRelay());
      local.push(baselineLocal());
      starts.push(nodeStart());
    }
  } finally {
    cli(['down', '-c', START_NAME]);
    cli(['down', '-c', NAME]);
    rmSync(home, { recursive: true, force: true });
  }
  const fig = (k: string) => median(runs.map((r) => r[k] ?? 0));
  const rows: [string, number, number, string, string, string][] = [
    ['no-op tasks/s, 1000 in flight', fig('tasks_async'), median(relay.map((r) => r.async)), 'ws relay, 1000 in flight', '8,051/s', '≥ 8,000/s'],
    ['sync task round trips/s', fig('tasks_sync'), median(relay.map((r) => r.sync)), 'ws relay, 1 outstanding', '1,046/s', '≥ 1,500/s'],
    ['actor calls/s, sync', fig('actor_sync'), median(relay.map((r) => r.sync)), 'ws relay, 1 outstanding', '2,051/s', '≥ 2,000/s'],
    ['actor calls/s, 1000 in flight', fig('actor_async'), median(relay.map((r) => r.async)), 'ws relay, 1000 in flight', '8,719/s', '≥ 10,000/s'],
    ['put/s (small, local)', fig('put_local'), median(local.map((l) => l.smallOps)), 'v8 serialize+deserialize/s', '5,521/s', '≥ 5,000/s'],
    ['get/s (small, local hit)', fig('get_local'), median(local.map((l) => l.smallOps)), 'v8 serialize+deserialize/s', '10,344/s', '≥ 50,000/s'],
    ['get/s (small, from another node)', fig('get_remote'), median(relay.map((r) => r.sync)), 'ws relay, 1 outstanding', '—', '≥ 4,000/s'],
    ['MB/s, 100 MB object between two workers', fig('mb_per_s_100mb'), median(local.map((l) => l.memcpyMBs)), 'memcpy of 100 MB, MB/s', '—', '≥ 200 MB/s'],
    ['process node start, request → registered (ms)', Math.round(median(starts)), median(local.map((l) => l.processStartMs)), 'node -e 0 (ms)', '—', '≤ 1,000 ms'],
  ];
  const header = ['figure', 'raylaunch (median of 3)', 'baseline (same run)', 'ratio', 'baseline is', 'Ray (64 vCPU)', 'goal'];
  const table = [header, ...rows.map(([f, v, b, what, ray, goal]) => [f, fmt(v), fmt(b), (v / b).toFixed(2), what, ray, goal])];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  console.log(table.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`).join('\n'));
  console.log(`\ntasks ran in ${median(runs.map((r) => r.worker_pids ?? 0))} distinct worker processes (never in the head or an agent)`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
