// What bench/aws.ts and bench/gcp.ts share: `raylaunch up` timed against a fake cloud on the test bridge, trial by
// trial, with an optional timeline of each; the import cost of a cloud's client libraries in a fresh Node; the
// figures' table. What each cloud's fake calls and logs, and which figures it prints, stay in its bench.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { TestCluster } from '../../test/helpers/cluster.js';

export const QUICK = process.env.BENCH_QUICK === '1';
export const TIMELINE = process.env.BENCH_TIMELINE === '1';
export const TRIALS = QUICK ? 1 : 3;
export const IMPORT_TRIALS = QUICK ? 1 : 5;
const UP_TIMEOUT_MS = 180_000;

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const span = (xs: number[]) => (xs.length > 1 ? ` (${secs(Math.min(...xs))}–${secs(Math.max(...xs))})` : '');
/** The median, then the range when there are several trials. */
export const figure = (xs: number[]) => `${secs(median(xs))}${span(xs)}`;

/** What happened during one `up`, stamped as it happened, for finding where the time goes. */
export class Timeline {
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

  /** The entries and the fake's calls (already stamped by the fake), in time order. */
  print(calls: readonly { at: number; text: string }[]): string {
    const all = [...this.entries, ...calls].sort((a, b) => a.at - b.at);
    return all.map((e) => `  ${String(e.at - this.start).padStart(6)} ms  ${e.text}`).join('\n');
  }
}

export interface Trial {
  wallMs: number;
  /** the head's calls while up ran, by name */
  headCalls: Map<string, number>;
}

/** A test bed with a fake cloud whose calls are recorded, stamped on the fake's clock. */
export interface UpBed<Call extends { at: number }> {
  fake: { calls: Call[]; idle(): Promise<void> };
  cluster(name: string, yaml: string): TestCluster;
  close(): Promise<void>;
}

export interface UpTrials<Bed extends UpBed<Call>, Call extends { at: number }> {
  /** the bed, made once for all trials of one latency */
  bed(): Promise<Bed>;
  config(name: string, bed: Bed): string;
  /** starts adding the fake's instance changes to the timeline; returns the stop */
  watch(bed: Bed, timeline: Timeline): () => void;
  /** the call's name when the head made it (its role's or service account's credential), else undefined */
  headCall(c: Call): string | undefined;
  /** the call as a line of the timeline */
  callLine(c: Call): string;
  /** the latency, for the progress line (`boot 10 s`) */
  label: string;
}

/** TRIALS `up`s of a head and its workers on one bed, each torn down before the next. */
export async function upTrials<Bed extends UpBed<Call>, Call extends { at: number }>(o: UpTrials<Bed, Call>): Promise<Trial[]> {
  const bed = await o.bed();
  const out: Trial[] = [];
  try {
    for (let i = 0; i < TRIALS; i++) {
      const name = `bench${i}`;
      const cluster = bed.cluster(name, o.config(name, bed));
      try {
        const from = bed.fake.calls.length;
        const timeline = new Timeline();
        const unwatch = o.watch(bed, timeline);
        const t0 = performance.now();
        const r = await cluster.cli(['up', cluster.configFile, '-y'], UP_TIMEOUT_MS, { onOutput: ({ stderr }) => timeline.lines('cli', stderr) });
        const wallMs = performance.now() - t0;
        unwatch();
        const calls = bed.fake.calls.slice(from);
        if (TIMELINE) console.error(timeline.print(calls.map((c) => ({ at: c.at, text: o.callLine(c) }))));
        if (r.code !== 0) throw new Error(`up failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
        const headCalls = new Map<string, number>();
        for (const c of calls) {
          const call = o.headCall(c);
          if (call !== undefined) headCalls.set(call, (headCalls.get(call) ?? 0) + 1);
        }
        out.push({ wallMs, headCalls });
        console.error(`  ${o.label}, trial ${i + 1}: up in ${secs(wallMs)}`);
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

/** The calls by name, as `name n, …` in name order. */
export const callText = (calls: ReadonlyMap<string, number>) => [...calls].sort(([a], [b]) => a.localeCompare(b)).map(([a, n]) => `${a} ${n}`).join(', ');

/** The modules imported in a fresh Node process (from the repository's root), in ms. */
export function importMs(modules: readonly string[]): number {
  const code = `const t=performance.now();await Promise.all(${JSON.stringify(modules)}.map((m)=>import(m)));console.log(performance.now()-t)`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** The figures as a Markdown table. */
export function printTable(rows: readonly [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n| ${'figure'.padEnd(width)} | value |\n|${'-'.repeat(width + 2)}|-------|`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
}
