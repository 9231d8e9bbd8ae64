// bench/autoscaler.ts — the bin-packer on the deterministic inputs of performance-anchors.md §5: the fast plan()
// (src/head/autoscaler/plan.ts, mode 'ray') against the literal oracle (test/helpers/ray-reference-plan.ts) and
// Ray's Python times measured on this machine kind (§2 table), with §6 rows 13–14 as goals. Checks that both
// give the same launch decision, equal to §5's expected to_launch. Run: npx tsx bench/autoscaler.ts
import { isDeepStrictEqual } from 'node:util';
import { plan as fastPlan } from '../src/head/autoscaler/plan.js';
import type { Demand, PlanInput, PlanOutput } from '../src/head/autoscaler/plan.js';
import { ANCHOR_CASES, anchorInput, mixedDemands, oneCpuDemands } from '../test/helpers/anchor-inputs.js';
import { plan as oraclePlan } from '../test/helpers/ray-reference-plan.js';

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** One timed call (ms) and its result. */
function timed(f: () => PlanOutput): { ms: number; out: PlanOutput } {
  const t0 = performance.now();
  const out = f();
  return { ms: performance.now() - t0, out };
}

/** Median of RUNS calls of the fast plan() after one warm-up call. */
function fastMedian(input: PlanInput): { ms: number; out: PlanOutput } {
  const first = timed(() => fastPlan(input));
  const ms = median(Array.from({ length: RUNS }, () => timed(() => fastPlan(input)).ms));
  return { ms, out: first.out };
}

type Row = { name: string; fast: number; oracle?: number; rayMs?: number; goalMs: number; parity: string };
const rows: Row[] = [];
let failures = 0;

for (const c of ANCHOR_CASES) {
  const input = anchorInput(c.nodes, c.demands(), c.speed);
  const f = fastMedian(input);
  const o = timed(() => oraclePlan(input));
  const same = isDeepStrictEqual(f.out.launch, o.out.launch);
  const expected = isDeepStrictEqual(o.out.launch, c.expected) && isDeepStrictEqual(f.out.launch, c.expected);
  if (!same || !expected) failures += 1;
  const parity = same && expected ? `✔ ${JSON.stringify(c.expected)}`
    : `✘ fast ${JSON.stringify(f.out.launch)}, oracle ${JSON.stringify(o.out.launch)}, §5 ${JSON.stringify(c.expected)}`;
  rows.push({ name: c.name, fast: f.ms, oracle: o.ms, rayMs: c.rayMs, goalMs: c.mixed ? 100 : 20, parity });
}

// Not in §5: a placement-group variant of the mixed case at the size of ray#63812 (9,838 bundles, Ray 88.9 s there
// on another cluster), as PACK groups of 2 bundles; parity with the oracle only.
{
  const bundles = mixedDemands(9_838);
  const pgs: PlanInput['placementGroups'] = [];
  for (let i = 0; i < bundles.length; i += 2) pgs.push({ id: `pg${i / 2}`, strategy: 'PACK', bundles: bundles.slice(i, i + 2) });
  const input = { ...anchorInput(100, []), placementGroups: pgs };
  const f = fastMedian(input);
  const o = timed(() => oraclePlan(input));
  const same = isDeepStrictEqual(f.out.launch, o.out.launch) && isDeepStrictEqual(f.out.unfulfilled, o.out.unfulfilled);
  if (!same) failures += 1;
  rows.push({ name: '100 nodes, 9,838 mixed PG bundles (PACK pairs; not in §5)', fast: f.ms, oracle: o.ms, goalMs: 100,
    parity: same ? `✔ = oracle ${JSON.stringify(o.out.launch)}` : `✘ fast ${JSON.stringify(f.out.launch)}, oracle ${JSON.stringify(o.out.launch)}` });
}

// §6 row 14: 100,000 demands × 1,000 nodes ≤ 1 s, as unmerged groups (one group per demand); fast only.
const big: [string, Demand[]][] = [['1000 nodes, 100k × {CPU:1} as 100k groups', oneCpuDemands(100_000, false)], ['1000 nodes, 100k mixed as 100k groups', mixedDemands(100_000)]];
for (const [name, demands] of big) {
  const f = fastMedian(anchorInput(1000, demands));
  rows.push({ name, fast: f.ms, goalMs: 1000, parity: `fast only: ${JSON.stringify(f.out.launch)}` });
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));
console.log(`\n| case | fast plan() ms (median of ${RUNS}) | oracle ms (1 run) | ratio (Ray ÷ fast) | Ray's Python time (§2/§5) | goal (§6) | launch parity (fast = oracle = §5) |`);
console.log('|---|---:|---:|---:|---:|---|---|');
for (const r of rows) {
  const ratio = r.rayMs === undefined ? '—' : `${(r.rayMs / r.fast).toFixed(0)}×`;
  const goal = `≤ ${r.goalMs} ms ${r.fast <= r.goalMs ? '✔' : '✘'}`;
  console.log(`| ${r.name} | ${fmt(r.fast)} | ${fmt(r.oracle)} | ${ratio} | ${r.rayMs === undefined ? '—' : `${(r.rayMs / 1000).toFixed(r.rayMs < 1000 ? 3 : r.rayMs < 10_000 ? 2 : 1)} s`} | ${goal} | ${r.parity} |`);
}
console.log(`\nNode ${process.version}; ${failures === 0 ? 'all launch decisions equal' : `${failures} case(s) with a launch mismatch`}.`);
process.exitCode = failures === 0 ? 0 : 1;
