// bench/scale-latency.ts — autoscaler reaction on a real process cluster: a task needing a resource no live node
// has is submitted; we time demand submitted → launch issued (the autoscaler's "launch" event) and → task finished
// on the new node, over 20 trials, with the default demand batch window (300 ms) and without one (0 ms, the
// floor of the event-driven loop). Ray's structural figure for the first is ≤ ~6 s (1 s GCS pull + 5 s loop),
// performance-anchors.md row 15. Run: npx tsx bench/scale-latency.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const TRIALS = 20;
const home = mkdtempSync(join(tmpdir(), 'raylaunch-bench-scale-'));
const env = { ...process.env, RAYLAUNCH_HOME: home };

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { env, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`raylaunch ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** One node type per trial, each with a resource of its own, so every trial launches exactly one fresh node. */
function config(name: string, batchMs: number): string {
  const types = Array.from({ length: TRIALS }, (_, i) => `  t${i}: {resources: {CPU: 1, slot${i}: 1}, min_workers: 0, max_workers: 1}`);
  return [`cluster_name: ${name}`, 'provider: {type: process}', `max_workers: ${TRIALS}`, 'available_node_types:',
    '  head: {resources: {CPU: 0}}', ...types, 'head_node_type: head', `raylaunch: {demand_batch_ms: ${batchMs}}`, ''].join('\n');
}

// The driver submits one trial at a time and prints when each demand went in and when its task came back.
const JOB = `import { get, main, remote } from 'raylaunch';
export const probe = remote(async function probe() { return 1; });
main(async () => {
  const out = [];
  for (let i = 0; i < ${TRIALS}; i++) {
    const submitted = Date.now();
    await get(probe.options({ resources: { ['slot' + i]: 1 } }).remote());
    out.push({ i, submitted, done: Date.now() });
  }
  console.log('TRIALS ' + JSON.stringify(out));
});
`;

type Trial = { i: number; submitted: number; done: number };
type Status = { autoscaler: { events: { at: number; kind: string; message: string }[] } | null };

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
}

function run(batchMs: number): { launch: number[]; done: number[] } {
  const name = `scale${process.pid}b${batchMs}`;
  const dir = mkdtempSync(join(home, 'run-'));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, config(name, batchMs));
  writeFileSync(join(dir, 'job.ts'), JOB);
  cli(['up', file, '-y']);
  try {
    const m = /^TRIALS (.*)$/m.exec(cli(['submit', file, join(dir, 'job.ts')]));
    if (!m?.[1]) throw new Error('the job printed no trials');
    const trials = JSON.parse(m[1]) as Trial[];
    const events = (JSON.parse(cli(['status', '-c', name, '--json'])) as Status).autoscaler?.events ?? [];
    const launch = trials.map((t) => {
      const e = events.find((x) => x.kind === 'launch' && x.message.startsWith(`launch 1 × t${t.i} `));
      if (!e) throw new Error(`no launch event for t${t.i}: ${events.map((x) => x.message).join('; ')}`);
      return e.at - t.submitted;
    });
    return { launch, done: trials.map((t) => t.done - t.submitted) };
  } finally {
    cli(['down', '-c', name, '-y']);
  }
}

try {
  const rows = [300, 0].map((batch) => ({ batch, ...run(batch) }));
  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  console.log(`\n| demand batch window | demand → launch issued p50 | p99 | demand → task done on the new node p50 | p99 | p50 vs Ray's ≤ ~6 s |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.batch} ms | ${fmt(quantile(r.launch, 0.5))} | ${fmt(quantile(r.launch, 0.99))} | ${fmt(quantile(r.done, 0.5))} | ${fmt(quantile(r.done, 0.99))} | ${(6000 / quantile(r.launch, 0.5)).toFixed(0)}× |`);
  }
  console.log(`\n${TRIALS} trials each, one fresh node per trial; Node ${process.version}. The 300 ms row is the default (bursts a cluster absorbs launch nothing); 0 ms is the loop's own floor.`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
