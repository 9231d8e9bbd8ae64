// bench/aws.ts — `raylaunch up` of an AWS cluster (head + 10 workers) against the fake AWS on the test bridge,
// as test/integration/clusters/aws-up.test.ts runs it: instances are sshd test hosts, the CLI runs in a network
// namespace whose only link is the bridge, with dummy keys and empty AWS files. Figures, each the median of trials:
//   1. up's wall time with the fake at zero latency, and with EC2-like latency (pending → running 10 s);
//   2. raylaunch's own time beyond the cloud's latency: at 10 s per boot the critical path holds two boots (the
//      head, then the workers it launches), so overhead = wall − 20 s (goal ≤ 3 s);
//   3. the EC2 calls the head makes for the scale-up from 0 to 10 workers (one round: min_workers asks at once);
//   4. the import cost of the AWS SDK clients in a fresh Node process (raylaunch loads them only for aws clusters).
// Nothing leaves this machine: the fake listens on 10.200.0.1, never a metadata address. Run: npm run bench:aws
// (as root, like the integration tests); BENCH_QUICK=1 runs one trial of each; BENCH_TIMELINE=1 prints each
// trial's timeline (the CLI's progress lines, the fake's calls and instance transitions, ms from the start of up).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { CallRecord, TransitionEvent } from '../test/fakes/aws/index.js';
import { awsConfigFor, awsTestBed } from '../test/helpers/aws-cluster.js';
import { DUMMY_CREDENTIALS, isolateAwsEnv } from '../test/helpers/aws-env.js';

const WORKERS = 10;
const BOOT_MS = 10_000;
const QUICK = process.env.BENCH_QUICK === '1';
const TIMELINE = process.env.BENCH_TIMELINE === '1';
const TRIALS = QUICK ? 1 : 3;
const IMPORT_TRIALS = QUICK ? 1 : 5;
const UP_TIMEOUT_MS = 180_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const span = (xs: number[]) => (xs.length > 1 ? ` (${secs(Math.min(...xs))}–${secs(Math.max(...xs))})` : '');

interface Trial {
  wallMs: number;
  /** the head's calls (signed by its role) while up ran, by action */
  headCalls: Map<string, number>;
}

async function upTrials(bootDelayMs: number): Promise<Trial[]> {
  const bed = await awsTestBed(WORKERS + 1, { bootDelayMs });
  const out: Trial[] = [];
  try {
    for (let i = 0; i < TRIALS; i++) {
      const name = `bench${i}`;
      const cluster = bed.cluster(name, awsConfigFor(name, WORKERS));
      try {
        const from = bed.fake.calls.length;
        const timeline = new Timeline();
        const onTransition = (e: TransitionEvent) => timeline.add(`fake: ${e.instanceId} ${e.from ?? 'new'} → ${e.to}`);
        bed.fake.cloud.on('transition', onTransition);
        const t0 = performance.now();
        const r = await cluster.cli(['up', cluster.configFile, '-y'], UP_TIMEOUT_MS, { onOutput: ({ stderr }) => timeline.lines('cli', stderr) });
        const wallMs = performance.now() - t0;
        bed.fake.cloud.off('transition', onTransition);
        if (TIMELINE) console.error(timeline.print(bed.fake.calls.slice(from)));
        if (r.code !== 0) throw new Error(`up failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
        const headCalls = new Map<string, number>();
        for (const c of bed.fake.calls.slice(from)) {
          if (c.accessKeyId === DUMMY_CREDENTIALS.accessKeyId || c.roleName === undefined) continue;
          headCalls.set(c.action, (headCalls.get(c.action) ?? 0) + 1);
        }
        out.push({ wallMs, headCalls });
        console.error(`  boot ${bootDelayMs / 1000} s, trial ${i + 1}: up in ${secs(wallMs)}`);
      } finally {
        await cluster.stop();
        await bed.fake.idle();
      }
    }
  } finally {
    await bed.close();
  }
  return out;
}

/** What happened during one `up`, stamped as it happened, for finding where the time goes. */
class Timeline {
  private readonly start = Date.now();
  private readonly entries: { at: number; text: string }[] = [];
  private seen = 0;

  add(text: string, at = Date.now()): void {
    this.entries.push({ at, text });
  }

  /** The complete lines of a stream printed so far that are new since the last look. */
  lines(source: string, printed: string): void {
    const done = printed.slice(0, printed.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '');
    for (const l of done.slice(this.seen)) this.add(`${source}: ${l}`);
    this.seen = Math.max(this.seen, done.length);
  }

  print(calls: readonly CallRecord[]): string {
    const all = [...this.entries, ...calls.map((c) => ({ at: c.at, text: `call: ${c.action} by ${c.roleName ? 'head' : 'cli'}` }))].sort((a, b) => a.at - b.at);
    return all.map((e) => `  ${String(e.at - this.start).padStart(6)} ms  ${e.text}`).join('\n');
  }
}

/** The three SDK clients imported in a fresh Node process, as `up` of an aws cluster loads them. */
function importMs(): number {
  const code = "const t=performance.now();await Promise.all(['@aws-sdk/client-ec2','@aws-sdk/client-iam','@aws-sdk/client-sts'].map((m)=>import(m)));console.log(performance.now()-t)";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const restoreEnv = isolateAwsEnv();
try {
  console.error(`up of a head + ${WORKERS} workers, ${TRIALS} trial(s) per latency`);
  const zero = await upTrials(0);
  const ec2Like = await upTrials(BOOT_MS);
  const imports = Array.from({ length: IMPORT_TRIALS }, importMs);
  const wall0 = zero.map((t) => t.wallMs);
  const wallL = ec2Like.map((t) => t.wallMs);
  const overhead = wallL.map((w) => w - 2 * BOOT_MS);
  const calls = ec2Like[0]?.headCalls ?? new Map<string, number>();
  const callText = [...calls].sort(([a], [b]) => a.localeCompare(b)).map(([a, n]) => `${a} ${n}`).join(', ');
  const rows: [string, string][] = [
    [`up, head + ${WORKERS} workers, fake at zero latency`, `${secs(median(wall0))}${span(wall0)}`],
    [`up, head + ${WORKERS} workers, pending → running ${BOOT_MS / 1000} s`, `${secs(median(wallL))}${span(wallL)}`],
    [`raylaunch's overhead beyond the cloud (wall − 2 × ${BOOT_MS / 1000} s boots; goal ≤ 3 s)`, `${secs(median(overhead))}${span(overhead)}`],
    [`RunInstances for the scale-up 0 → ${WORKERS}`, String(calls.get('RunInstances') ?? 0)],
    ['the head\'s EC2 calls during up (10 s boots; the fake pages by 5)', callText],
    [`AWS SDK import (client-ec2 + iam + sts), fresh Node ${process.version}`, `${Math.round(median(imports))} ms`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n| ${'figure'.padEnd(width)} | value |\n|${'-'.repeat(width + 2)}|-------|`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
  console.log('\nFor comparison (issue 14, not measured here): SkyPilot adds ~47 s per launch beyond the cloud; Ray\'s `up` ≥ 15 s by structure.');
} finally {
  restoreEnv();
}
