// bench/gcp.ts — `raylaunch up` of a GCP cluster (head + 10 workers) against the fake GCP on the test bridge, as
// test/integration/clusters/gcp-up.test.ts runs it: instances are sshd test hosts, the CLI runs in a network
// namespace whose only link is the bridge, with an empty HOME and CLOUDSDK_CONFIG and dummy credentials whose token
// endpoint is the fake's. Figures, each the median of trials (the same as bench/aws.ts):
//   1. up's wall time with the fake at zero latency, and with GCE-like latency (insert → RUNNING 10 s, each
//      operation RUNNING 2 s before DONE);
//   2. raylaunch's own time beyond the cloud's latency: the critical path holds two boots (the head, then the
//      workers it launches), so overhead = wall − 20 s (goal ≤ 3 s);
//   3. the Compute calls the head makes for the scale-up from 0 to 10 workers (one round: min_workers asks at once);
//   4. the import cost of the Compute clients and google-auth-library in a fresh Node process, as `up` of a gcp
//      cluster loads them.
// Nothing leaves this machine: the fake listens on 10.200.0.1, never a metadata address. Run: npm run bench:gcp
// (as root, like the integration tests); BENCH_QUICK=1 runs one trial of each; BENCH_TIMELINE=1 prints each
// trial's timeline (the CLI's progress lines, the fake's calls and instance transitions, ms from the start of up).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { DUMMY_USER, type CallRecord, type FakeGcpOptions } from '../test/fakes/gcp/index.js';
import { gcpConfigFor, gcpTestBed } from '../test/helpers/gcp-cluster.js';
import { isolateGcpEnv } from '../test/helpers/gcp-env.js';

const WORKERS = 10;
const BOOT_MS = 10_000;
const OPERATION_MS = 2000;
const QUICK = process.env.BENCH_QUICK === '1';
const TIMELINE = process.env.BENCH_TIMELINE === '1';
const TRIALS = QUICK ? 1 : 3;
const IMPORT_TRIALS = QUICK ? 1 : 5;
const UP_TIMEOUT_MS = 180_000;
/** The modules providers/gcp/sdk.ts loads, each client from its own file. */
const MODULES = ['instances', 'zone_operations', 'global_operations', 'firewalls', 'images', 'machine_types', 'projects', 'regions']
  .map((c) => `@google-cloud/compute/build/src/v1/${c}_client.js`).concat('google-auth-library');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const span = (xs: number[]) => (xs.length > 1 ? ` (${secs(Math.min(...xs))}–${secs(Math.max(...xs))})` : '');

interface Trial {
  wallMs: number;
  /** the head's calls (its service account's token) while up ran, by method */
  headCalls: Map<string, number>;
}

async function upTrials(latency: Pick<FakeGcpOptions, 'bootDelayMs' | 'operationDelayMs'>): Promise<Trial[]> {
  const bed = await gcpTestBed(WORKERS + 1, latency);
  const out: Trial[] = [];
  try {
    for (let i = 0; i < TRIALS; i++) {
      const name = `bench${i}`;
      const cluster = bed.cluster(name, gcpConfigFor(name, WORKERS, bed.fake.project));
      try {
        const from = bed.fake.calls.length;
        const timeline = new Timeline();
        const onChange = (e: { instance?: string; to?: string }) => { if (e.to !== undefined) timeline.add(`fake: ${e.instance ?? ''} → ${e.to}`); };
        // The fake's own long-polls listen for changes too: eleven nodes and this one pass Node's default of ten.
        bed.fake.cloud.setMaxListeners(50);
        bed.fake.cloud.on('change', onChange);
        const t0 = performance.now();
        const r = await cluster.cli(['up', cluster.configFile, '-y'], UP_TIMEOUT_MS, { onOutput: ({ stderr }) => timeline.lines('cli', stderr) });
        const wallMs = performance.now() - t0;
        bed.fake.cloud.off('change', onChange);
        if (TIMELINE) console.error(timeline.print(bed.fake.calls.slice(from)));
        if (r.code !== 0) throw new Error(`up failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
        const headCalls = new Map<string, number>();
        for (const c of bed.fake.calls.slice(from)) {
          if (c.principal === undefined || c.principal === DUMMY_USER.email) continue;
          headCalls.set(c.method, (headCalls.get(c.method) ?? 0) + 1);
        }
        out.push({ wallMs, headCalls });
        console.error(`  boot ${(latency.bootDelayMs ?? 0) / 1000} s, trial ${i + 1}: up in ${secs(wallMs)}`);
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
    const who = (c: CallRecord) => (c.principal === DUMMY_USER.email ? 'cli' : c.principal === undefined ? '-' : 'head');
    const all = [...this.entries, ...calls.map((c) => ({ at: c.at, text: `call: ${c.method} by ${who(c)} (${c.status})` }))].sort((a, b) => a.at - b.at);
    return all.map((e) => `  ${String(e.at - this.start).padStart(6)} ms  ${e.text}`).join('\n');
  }
}

/** The Compute clients and google-auth-library imported in a fresh Node process, as `up` of a gcp cluster loads them. */
function importMs(): number {
  const code = `const t=performance.now();await Promise.all(${JSON.stringify(MODULES)}.map((m)=>import(m)));console.log(performance.now()-t)`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const restoreEnv = isolateGcpEnv();
try {
  console.error(`up of a head + ${WORKERS} workers, ${TRIALS} trial(s) per latency`);
  const zero = await upTrials({ bootDelayMs: 0, operationDelayMs: 0 });
  const gceLike = await upTrials({ bootDelayMs: BOOT_MS, operationDelayMs: OPERATION_MS });
  const imports = Array.from({ length: IMPORT_TRIALS }, importMs);
  const wall0 = zero.map((t) => t.wallMs);
  const wallL = gceLike.map((t) => t.wallMs);
  const overhead = wallL.map((w) => w - 2 * BOOT_MS);
  const calls = gceLike[0]?.headCalls ?? new Map<string, number>();
  const callText = [...calls].sort(([a], [b]) => a.localeCompare(b)).map(([a, n]) => `${a} ${n}`).join(', ');
  const rows: [string, string][] = [
    [`up, head + ${WORKERS} workers, fake at zero latency`, `${secs(median(wall0))}${span(wall0)}`],
    [`up, head + ${WORKERS} workers, insert → RUNNING ${BOOT_MS / 1000} s, operations ${OPERATION_MS / 1000} s`, `${secs(median(wallL))}${span(wallL)}`],
    [`raylaunch's overhead beyond the cloud (wall − 2 × ${BOOT_MS / 1000} s boots; goal ≤ 3 s)`, `${secs(median(overhead))}${span(overhead)}`],
    [`instances.bulkInsert for the scale-up 0 → ${WORKERS}`, String(calls.get('instances.bulkInsert') ?? 0)],
    ['the head\'s Compute calls during up (GCE-like latency; the fake pages by 5)', callText],
    [`@google-cloud/compute (8 v1 clients) + google-auth-library import, fresh Node ${process.version}`, `${Math.round(median(imports))} ms`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n| ${'figure'.padEnd(width)} | value |\n|${'-'.repeat(width + 2)}|-------|`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
} finally {
  restoreEnv();
}
