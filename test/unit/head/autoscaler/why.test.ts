import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { ClusterFacts } from '../../../../src/head/autoscaler/facts.js';
import { launchReason, oneLine, terminationWhy } from '../../../../src/head/autoscaler/why.js';

const facts = (o: Partial<ClusterFacts>): ClusterFacts => ({ nodes: [], demands: [], placementGroups: [], requested: [], ...o });

describe('the autoscaler\'s why-texts', () => {
  const LAUNCH: { name: string; resources: Record<string, number>; facts: ClusterFacts; belowMin?: boolean; want: string }[] = [
    { name: 'at most three demands the type can hold', resources: { CPU: 4 }, want: '1 pending {CPU: 1}, 2 pending {CPU: 2}, 3 pending {CPU: 4}',
      facts: facts({ demands: [{ resources: { CPU: 1 }, count: 1 }, { resources: { CPU: 2 }, count: 2 }, { resources: { GPU: 1 }, count: 9 }, { resources: { CPU: 4 }, count: 3 }, { resources: { CPU: 3 }, count: 4 }] }) },
    { name: 'placement groups and request_resources', resources: { CPU: 1 }, want: '2 placement group(s), request_resources',
      facts: facts({ placementGroups: [{ id: 'a', strategy: 'PACK', bundles: [{ resources: { CPU: 1 }, count: 1 }] }, { id: 'b', strategy: 'SPREAD', bundles: [{ resources: { CPU: 1 }, count: 2 }] }], requested: [{ resources: { CPU: 1 }, count: 1 }] }) },
    { name: 'min_workers after the demands, when the type is below it', resources: { CPU: 1 }, belowMin: true, want: '1 pending {CPU: 1}, min_workers', facts: facts({ demands: [{ resources: { CPU: 1 }, count: 1 }] }) },
    { name: 'only min_workers when nothing the type holds is pending', resources: { CPU: 1 }, belowMin: true, want: 'min_workers', facts: facts({ demands: [{ resources: { GPU: 1 }, count: 1 }] }) },
    { name: 'every demand when the type\'s resources are not known yet', resources: {}, want: '1 pending {GPU: 1}', facts: facts({ demands: [{ resources: { GPU: 1 }, count: 1 }] }) },
    { name: 'min_workers when nothing is pending at all', resources: { CPU: 1 }, want: 'min_workers', facts: facts({}) },
  ];
  for (const c of LAUNCH) {
    it(`launch: ${c.name}`, () => assert.equal(launchReason({ resources: c.resources, facts: c.facts, belowMin: !!c.belowMin }), c.want));
  }

  const TERMINATE: [string, number | undefined, string][] = [['idle', 302_400, 'idle 302 s'], ['idle', undefined, 'idle'], ['never_registered', 5, 'never registered'], ['setup_failed', undefined, 'setup failed']];
  for (const [reason, idleMs, want] of TERMINATE) {
    it(`terminate: ${reason}${idleMs === undefined ? '' : ` after ${idleMs} ms`} reads "${want}"`, () => assert.equal(terminationWhy(reason, idleMs), want));
  }

  it('an error on one line: its lines trimmed and joined, at most 600 characters', () => {
    assert.equal(oneLine('`x` failed; its last lines:\n    a\n\n    b\n'), '`x` failed; its last lines: | a | b');
    assert.equal(oneLine('y'.repeat(700)).length, 600);
  });
});
