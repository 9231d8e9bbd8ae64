// bench/head-restart.ts — how soon a head killed with kill -9 is back, on the process provider: a head (no CPU)
// and three 1-CPU workers, each running a task of a job that stays up throughout; then, KILLS times, a kill -9
// of the head service (its pid from head.json, as the head-restart tests find it), timing
//   (a) kill → the head serving again: a new connection with the operator's credential gets its status;
//   (b) kill → every agent registered again: every node ALIVE with a `connected_at` (the head's time of the
//       agent's registration) after the kill, and the tasks re-reported.
// Each kill is a first crash: the next waits until the head has been up for the supervisor's HEALTHY_UPTIME_MS,
// after which a crash restarts it at once (a crash loop backs off instead, which is not what this measures).
// The cluster is taken down at the end, also on failure. Run: npm run bench:head-restart (BENCH_KILLS=n)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const NAME = `benchrestart${process.pid}`;
const KILLS = Number(process.env.BENCH_KILLS ?? 10);
const WORKERS = 3;
const GOAL_MS = 2000;
const home = mkdtempSync(join(tmpdir(), 'raylaunch-bench-restart-'));
// Before the launcher's modules are loaded: they read it on every call, but nothing may see the user's own.
process.env.RAYLAUNCH_HOME = home;
const { Session } = await import('../src/launcher/session.js');
const { HEALTHY_UPTIME_MS } = await import('../src/runtime/restart-policy.js');
const { until } = await import('../test/helpers/until.js');

const env = { ...process.env, RAYLAUNCH_HOME: home };
const configFile = join(home, 'bench.yaml');
const gate = join(home, 'gate');
writeFileSync(configFile, [
  `cluster_name: ${NAME}`, 'provider: {type: process}', `max_workers: ${WORKERS}`, 'available_node_types:',
  '  head: {resources: {CPU: 0}}', `  worker: {resources: {CPU: 1}, min_workers: ${WORKERS}, max_workers: ${WORKERS}}`,
  'head_node_type: head', '',
].join('\n'));

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`raylaunch ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const headPid = () => (JSON.parse(readFileSync(join(home, 'clusters', NAME, 'head.json'), 'utf8')) as { pid: number }).pid;

/** Whether a pid names a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The head's status over a new authenticated connection (what any client does first), or undefined. */
async function status() {
  const s = await Session.open(NAME).catch(() => undefined);
  if (!s) return undefined;
  try {
    return await s.status();
  } finally {
    await s.close();
  }
}

/** A fine-grained poll for the time figures: `until`'s 100 ms step would be most of what is measured. */
async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every node ALIVE, registered with the running head since `since`, and every task re-reported running. */
const settled = (s: Awaited<ReturnType<typeof status>>, since: number) =>
  s && s.nodes.length === WORKERS + 1 && s.nodes.every((n) => n.state === 'ALIVE' && (n.connectedAt ?? -1) >= since) && s.tasks.running === WORKERS ? s : undefined;

/** Nearest-rank percentile (p99 of 10 samples is the largest). */
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)] ?? 0;
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;

async function main(): Promise<void> {
  process.stderr.write(`starting cluster ${NAME}…\n`);
  const serving: number[] = [];
  const reconnected: number[] = [];
  try {
    cli(['up', configFile, '-y']);
    cli(['submit', '-c', NAME, '--no-wait', join(ROOT, 'bench/jobs/held-tasks.ts'), '--', gate, String(WORKERS)]);
    await until('a task running on every worker', 120_000, async () => settled(await status(), 0));
    let upSince = Date.now();
    for (let i = 0; i < KILLS; i++) {
      await until('the head to be up for HEALTHY_UPTIME_MS', HEALTHY_UPTIME_MS + 5000, () => (Date.now() - upSince >= HEALTHY_UPTIME_MS ? true : undefined));
      const pid = headPid();
      if (!alive(pid)) throw new Error(`the head ${pid} is not running before kill ${i + 1}`);
      const t0 = Date.now();
      process.kill(pid, 'SIGKILL');
      await until(`the head ${pid} to die`, 10_000, () => (alive(pid) ? undefined : true));
      await poll('the head to serve again', 60_000, status);
      serving.push(Date.now() - t0);
      upSince = Date.now();
      const s = await poll('every agent to register again', 60_000, async () => settled(await status(), t0));
      reconnected.push(Math.max(...s.nodes.map((n) => n.connectedAt ?? 0)) - t0);
      process.stderr.write(`kill ${i + 1}/${KILLS}: serving after ${serving.at(-1)} ms, every agent back after ${reconnected.at(-1)} ms\n`);
    }
  } finally {
    writeFileSync(gate, '');
    try {
      cli(['down', '-c', NAME, '-y']);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  const rows = [
    ['figure', 'p50', 'p99', 'goal'],
    ['kill -9 → head serving (authenticated status)', fmt(pct(serving, 50)), fmt(pct(serving, 99)), `≤ ${fmt(GOAL_MS)} p50`],
    [`kill -9 → all ${WORKERS + 1} agents registered again`, fmt(pct(reconnected, 50)), fmt(pct(reconnected, 99)), '—'],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  console.log(rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`).join('\n'));
  console.log(`\n${KILLS} kills on the process provider, head + ${WORKERS} workers (1 CPU each, a task running on each); the store: the default (sqlite)`);
  const p50 = pct(serving, 50);
  console.log(p50 <= GOAL_MS ? `goal met: head serving p50 ${fmt(p50)} ≤ ${fmt(GOAL_MS)}` : `goal missed: head serving p50 ${fmt(p50)} > ${fmt(GOAL_MS)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
