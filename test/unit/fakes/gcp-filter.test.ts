// The fake's list filter, on the expressions raylaunch and Ray write.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { parseFilter } from '../../fakes/gcp/index.js';

const head = { name: 'ray-c1-head', status: 'RUNNING', labels: { 'ray-cluster-name': 'c1', 'ray-node-kind': 'head' }, zone: 'https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a' };
const worker = { name: 'ray-c1-worker-0001', status: 'TERMINATED', labels: { 'ray-cluster-name': 'c1', 'ray-node-kind': 'worker' }, zone: 'https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-b' };
const other = { name: 'web-1', status: 'RUNNING', labels: { team: 'web' }, zone: 'https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a' };
const ALL = [head, worker, other];

describe('fake GCP: list filters', () => {
  const cases: [string, string, string[]][] = [
    ['an empty filter matches everything', '', ['ray-c1-head', 'ray-c1-worker-0001', 'web-1']],
    ['a label equals a bare value', 'labels.ray-cluster-name = c1', ['ray-c1-head', 'ray-c1-worker-0001']],
    ['a label equals a quoted value, no spaces', 'labels.ray-cluster-name="c1"', ['ray-c1-head', 'ray-c1-worker-0001']],
    ['Ray\'s shape: label terms ANDed, states ORed', '(labels.ray-cluster-name = c1) AND ((status = RUNNING) OR (status = STAGING))', ['ray-c1-head']],
    ['juxtaposition is AND', 'labels.ray-cluster-name = c1 status = TERMINATED', ['ray-c1-worker-0001']],
    ['!= excludes', 'status != TERMINATED', ['ray-c1-head', 'web-1']],
    ['NOT negates a group', 'NOT (labels.team = web)', ['ray-c1-head', 'ray-c1-worker-0001']],
    ['has: a label present at all', 'labels.ray-node-kind:*', ['ray-c1-head', 'ray-c1-worker-0001']],
    ['a wildcard in a value', 'name = ray-c1-*', ['ray-c1-head', 'ray-c1-worker-0001']],
    ['a link compares by its last segment', 'zone = us-central1-b', ['ray-c1-worker-0001']],
    ['the older eq takes a regular expression', "name eq 'ray-.*-head'", ['ray-c1-head']],
    ['a missing label matches nothing', 'labels.ray-cluster-name = c2', []],
  ];
  for (const [what, expr, want] of cases) {
    it(what, () => {
      const p = parseFilter(expr);
      assert.deepEqual(ALL.filter(p).map((r) => r.name), want);
    });
  }

  for (const bad of ['(labels.a = b', 'labels.a', 'status = RUNNING )', 'a ~ b']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseFilter(bad));
    });
  }
});
