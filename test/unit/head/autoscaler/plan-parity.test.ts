// Randomized parity: src/head/autoscaler/plan.ts (mode 'ray') against the literal oracle
// test/helpers/ray-reference-plan.ts, for plan() and its exported parts. Seeded (mulberry32) so any failure
// reproduces: the seed of the failing case, its input and a shrunk minimal input are printed as JSON.
// PLAN_PARITY_SEED / PLAN_PARITY_CASES override the defaults.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { after, describe, it } from 'mocha';
import * as fast from '../../../../src/head/autoscaler/plan.js';
import type { PlanNode } from '../../../../src/head/autoscaler/plan.js';
import { demandList, mulberry32, nodeRes, nodeTypes, orderInput, planInput, Rng, shape } from '../../../helpers/plan-random.js';
import { differ, mergedForm, outcome, shrink } from '../../../helpers/plan-shrink.js';
import * as oracle from '../../../helpers/ray-reference-plan.js';

const SEED = Number(process.env.PLAN_PARITY_SEED ?? 0x5eed2024);
const CASES = Number(process.env.PLAN_PARITY_CASES ?? 1000);

/** Cases whose outputs differ only in how Demand[] runs are split (same merged form): noted, not failed. */
const formatOnly = new Map<string, number>();

/** Which parts of two outputs differ: the top-level keys of objects (e.g. "launch,terminate"), else "value". */
function diffKind(a: unknown, b: unknown): string {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) || Array.isArray(b)) return 'value';
  const ka = a as Record<string, unknown>, kb = b as Record<string, unknown>;
  return [...new Set([...Object.keys(ka), ...Object.keys(kb)])].filter((k) => differ(mergedForm(ka[k]), mergedForm(kb[k]))).join(',');
}

/**
 * Runs `n` seeded cases of `gen` through both sides, comparing outputs in merged-run form (a format-only difference
 * is counted in `formatOnly`); on mismatch prints, per kind of difference (which output fields differ), the case
 * seed, its input and a shrunk minimal input with both outputs, then fails.
 */
function parity<A extends unknown[]>(label: string, n: number, gen: (r: Rng) => A, want: (...a: A) => unknown, got: (...a: A) => unknown): void {
  const base = SEED + [...label].reduce((h, c) => (h * 31 + (c.codePointAt(0) ?? 0)) >>> 0, 0);
  const kinds = new Map<string, { seed: number; args: A; count: number }>();
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const seed = (base + i * 7919) >>> 0; // each case from its own seed: reproducible alone
    const args = gen(new Rng(mulberry32(seed)));
    const before = structuredClone(args);
    const a = outcome(() => want(...structuredClone(args)));
    const b = outcome(() => got(...args));
    let kind: string | undefined;
    if (differ(mergedForm(a), mergedForm(b))) kind = `output differs: ${diffKind(a, b)}`;
    else if (differ(a, b)) formatOnly.set(label, (formatOnly.get(label) ?? 0) + 1);
    if (!kind && !isDeepStrictEqual(args, before)) kind = 'plan.ts mutated its input';
    if (!kind) continue;
    failures += 1;
    const k = kinds.get(kind) ?? { seed, args: before, count: 0 };
    k.count += 1;
    kinds.set(kind, k);
  }
  if (failures === 0) return;
  const report: string[] = [`${label}: ${failures}/${n} cases differ (PLAN_PARITY_SEED=${SEED})`];
  const kindOf = (x: A) => `output differs: ${diffKind(outcome(() => want(...structuredClone(x))), outcome(() => got(...structuredClone(x))))}`;
  for (const [kind, f] of kinds) {
    const min = kind.startsWith('output') ? shrink(f.args, (x) => kindOf(x) === kind) : f.args; // shrink within the kind
    report.push(`-- ${kind} (${f.count} cases); first: case seed ${f.seed}`, `input: ${JSON.stringify(f.args)}`, `minimal input: ${JSON.stringify(min)}`,
      `oracle:  ${JSON.stringify(outcome(() => want(...structuredClone(min))))}`, `plan.ts: ${JSON.stringify(outcome(() => got(...structuredClone(min))))}`);
  }
  console.log(report.join('\n'));
  assert.fail(report[0]);
}

const demandsOf = (r: Rng, max: number) => demandList(r, max, r.chance(0.1));
const names = (r: Rng) => nodeTypes(r, r.chance(0.1));

describe('plan.ts parity with the Ray oracle (randomized, mode ray)', function () {
  this.timeout(60_000);
  after(() => {
    if (formatOnly.size > 0) console.log(`  note: outputs equal only after merging Demand[] runs: ${JSON.stringify(Object.fromEntries(formatOnly))}`);
  });

  it(`plan(): ${3 * CASES} random clusters give the same launch, terminate, unfulfilled and infeasible`, () => {
    parity('plan', 3 * CASES, (r) => [planInput(r)] as [ReturnType<typeof planInput>], oracle.plan, fast.plan);
  });

  it(`plan(): ${2 * CASES} clusters with integer-like type names keep Python's dict order (requests, STRICT_SPREAD)`, () => {
    parity('plan-order', 2 * CASES, (r) => [orderInput(r)] as [ReturnType<typeof orderInput>], oracle.plan, fast.plan);
  });

  it(`binPackResidual: ${CASES} random node lists × demand lists (strict spread or not)`, () => {
    parity('binPackResidual', CASES, (r) => [Array.from({ length: r.int(0, 8) }, () => nodeRes(r, r.chance(0.1))), demandsOf(r, 20),
      { strictSpread: r.chance(0.4) }] as const as [ReturnType<typeof nodeRes>[], ReturnType<typeof demandList>, { strictSpread: boolean }],
    oracle.binPackResidual, fast.binPackResidual);
  });

  it(`nodesFor: ${CASES} random type lists, existing counts, head types and max_to_add`, () => {
    parity('nodesFor', CASES, (r) => {
      const types = names(r);
      const existing: Record<string, number> = {};
      for (const t of types) if (r.chance(0.4)) existing[t.name] = r.int(0, 4);
      const head = r.chance(0.6) ? r.pick(types).name : r.chance(0.5) ? 'missing' : null;
      return [types, existing, head, r.int(-1, 15), demandsOf(r, 25), { strictSpread: r.chance(0.3) }] as
        [typeof types, typeof existing, string | null, number, ReturnType<typeof demandList>, { strictSpread: boolean }];
    }, oracle.nodesFor, fast.nodesFor);
  });

  it(`utilizationScore: ${CASES} random node resources × demand lists (exact tuples or null)`, () => {
    parity('utilizationScore', CASES, (r) => [nodeRes(r, r.chance(0.1)), demandsOf(r, 10)] as [ReturnType<typeof nodeRes>, ReturnType<typeof demandList>],
      oracle.utilizationScore, fast.utilizationScore);
  });

  it(`addMinWorkerNodes: ${CASES} random types, counts and request_resources bundles`, () => {
    parity('addMinWorkerNodes', CASES, (r) => {
      const types = names(r);
      const counts: Record<string, number> = {};
      for (const t of r.sample(types, r.int(0, types.length))) counts[t.name] = r.int(0, 3);
      const head = r.chance(0.6) ? r.pick(types).name : r.chance(0.5) ? 'missing' : null;
      const nodes = Array.from({ length: r.int(0, 5) }, () => nodeRes(r));
      return [types, nodes, counts, head, r.pick([0, 2, 5, 20]), r.chance(0.4) ? [] : demandsOf(r, 6)] as
        [typeof types, typeof nodes, typeof counts, string | null, number, ReturnType<typeof demandList>];
    }, oracle.addMinWorkerNodes, fast.addMinWorkerNodes);
  });

  it(`limitConcurrency: ${CASES} random launch vectors, running/pending nodes and exemptions`, () => {
    parity('limitConcurrency', CASES, (r) => {
      const ts = names(r).map((t) => t.name);
      const pickSome = () => Object.fromEntries(r.sample(ts, r.int(0, ts.length)).map((t) => [t, r.int(0, 12)]));
      const nodes: PlanNode[] = Array.from({ length: r.int(0, 20) }, (_, i) => ({
        id: `n${i}`, ...(r.chance(0.5) ? { ip: `ip-${i}` } : {}), nodeType: r.chance(0.9) ? r.pick(ts) : null,
        kind: r.pick(['head', 'worker', null] as const) }));
      const connectedIps = nodes.filter(() => r.chance(0.6)).map((n) => (r.chance(0.9) ? (n.ip ?? n.id) : n.id));
      return [pickSome(), { upscalingSpeed: r.pick([0, 0.5, 1, 3]), nodes, connectedIps, launching: pickSome(),
        adjustedMin: pickSome(), pgNodes: pickSome() }] as Parameters<typeof oracle.limitConcurrency>;
    }, oracle.limitConcurrency, fast.limitConcurrency);
  });

  it('the generators cover the corners (integer-like names, zero keys, missing heads, unconnected and {} nodes)', () => {
    const r = new Rng(mulberry32(SEED));
    const inputs = Array.from({ length: 300 }, () => planInput(r));
    const has = (p: (x: ReturnType<typeof planInput>) => boolean) => inputs.some(p);
    assert.ok(has((x) => x.nodeTypes.some((t) => /^\d+$/.test(t.name))), 'integer-like type names');
    assert.ok(has((x) => x.headNodeType !== null && !x.nodeTypes.some((t) => t.name === x.headNodeType)), 'head type missing');
    assert.ok(has((x) => x.demands.some((d) => Object.values(d.resources).includes(0))), 'zero-valued keys');
    assert.ok(has((x) => x.nodes.some((n) => n.available === undefined) && x.nodes.some((n) => n.available && Object.keys(n.available).length === 0)), 'node states');
    assert.ok(has((x) => x.placementGroups.some((p) => p.strategy === 'STRICT_SPREAD')), 'strict spread');
    assert.ok(shape(r) !== undefined);
  });
});
