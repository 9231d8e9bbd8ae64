import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { plan } from '../../../../src/head/autoscaler/plan.js';
import { mulberry32, planInput, Rng } from '../../../helpers/plan-random.js';

/** What must hold for any input of the loop's mode ('improved'), checked on seeded random clusters. */
describe('plan() properties (improved mode, randomized)', () => {
  const seed = Number(process.env.PLAN_PROPERTY_SEED ?? 20261127);
  const cases = Array.from({ length: 4000 }, (_, i) => {
    const input = { ...planInput(new Rng(mulberry32(seed + i))), mode: 'improved' as const };
    return { input, out: plan(input) };
  });
  const fail = (what: string, input: unknown) => `${what} (seed ${seed}); input: ${JSON.stringify(input)}`;

  /** A cluster as raylaunch runs it: one head of the head type, typed workers, a config validation accepts. */
  const realistic = ({ input }: (typeof cases)[number]) => {
    const heads = input.nodes.filter((n) => n.kind === 'head');
    const known = new Set(input.nodeTypes.map((t) => t.name));
    return heads.length === 1 && heads[0]?.nodeType === input.headNodeType && known.has(input.headNodeType ?? '')
      && input.nodes.every((n) => n.kind === 'head' || (n.kind === 'worker' && n.nodeType !== null && known.has(n.nodeType)))
      && input.nodeTypes.reduce((n, t) => n + Math.min(t.minWorkers, t.maxWorkers), 0) <= input.maxWorkers
      && input.nodes.length - 1 + Object.values(input.launching).reduce((a, b) => a + b, 0) <= input.maxWorkers;
  };

  it('never takes a cluster past max_workers, nor a type past its max_workers', () => {
    const real = cases.filter(realistic);
    assert.ok(real.length >= 50, `only ${real.length} realistic cases were generated`);
    for (const { input, out } of real) {
      const gone = new Set(out.terminate.map((x) => x.id));
      const staying = input.nodes.filter((n) => n.kind === 'worker' && !gone.has(n.id));
      const launching = Object.values(input.launching).reduce((a, b) => a + b, 0);
      const launched = Object.values(out.launch).reduce((a, b) => a + b, 0);
      assert.ok(staying.length + launching + launched <= input.maxWorkers, fail('over the global max', input));
      for (const [t, n] of Object.entries(out.launch)) {
        const spec = input.nodeTypes.find((x) => x.name === t);
        assert.ok(spec, fail(`launched unknown type ${t}`, input));
        const have = staying.filter((x) => x.nodeType === t).length + (input.launching[t] ?? 0);
        assert.ok(have + n <= spec.maxWorkers, fail(`over ${t}'s max`, input));
      }
    }
  });

  it('never terminates the head, and only terminates nodes it was given', () => {
    for (const { input, out } of cases) {
      for (const t of out.terminate) {
        const node = input.nodes.find((n) => n.id === t.id);
        assert.ok(node, fail(`terminated unknown ${t.id}`, input));
        assert.notEqual(node.kind, 'head', fail('terminated the head', input));
      }
    }
  });

  it('never launches a node type in capacity backoff', () => {
    for (const { input, out } of cases) {
      for (const t of Object.keys(out.launch)) {
        assert.ok(!((input.backoffUntil[t] ?? 0) > input.now), fail(`launched ${t} in backoff`, input));
      }
    }
  });

  it('never launches a negative or zero count', () => {
    for (const { input, out } of cases) for (const n of Object.values(out.launch)) assert.ok(n > 0, fail('zero launch', input));
  });
});

describe('plan() improved mode: documented deviations from Ray', () => {
  const types = [{ name: 'w', resources: { CPU: 2 }, minWorkers: 0, maxWorkers: 10 }];
  const base = {
    nodeTypes: types, headNodeType: null, maxWorkers: 10, upscalingSpeed: 1, nodes: [], launching: {}, demands: [],
    requestedBundles: [], backoffUntil: {}, idleTimeoutMs: {}, currentLaunchHash: {}, now: 0,
  };
  it('a SPREAD group gets a node per bundle (Ray v1 packs SPREAD like PACK)', () => {
    const placementGroups = [{ id: 'g', strategy: 'SPREAD' as const, bundles: [{ resources: { CPU: 1 }, count: 2 }] }];
    assert.deepEqual(plan({ ...base, placementGroups, mode: 'ray' }).launch, { w: 1 });
    assert.deepEqual(plan({ ...base, placementGroups, mode: 'improved' }).launch, { w: 2 });
  });
  it('a min_workers type in capacity backoff is not launched (Ray would try it again)', () => {
    const t = [{ name: 'w', resources: { CPU: 2 }, minWorkers: 1, maxWorkers: 10 }];
    assert.deepEqual(plan({ ...base, nodeTypes: t, placementGroups: [], backoffUntil: { w: 10 }, mode: 'ray' }).launch, { w: 1 });
    assert.deepEqual(plan({ ...base, nodeTypes: t, placementGroups: [], backoffUntil: { w: 10 }, mode: 'improved' }).launch, {});
  });
});
