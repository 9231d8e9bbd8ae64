import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { CloudNode } from '../../../providers/provider.js';
import { UNLISTED_GRACE_MS, withUnlisted } from '../../../providers/unlisted.js';

const node = (id: string, status: CloudNode['status']): CloudNode => ({ id, nodeType: 'w', kind: 'worker', status, requestId: 'r1', tags: { t: '1' } });

describe('a cloud listing merged with the instances launched but not listed yet', () => {
  it('an instance launched but not listed yet still counts (pending) for its request, until listed or past the grace period', () => {
    const launched = new Map([['i-9', { node: node('i-9', 'running'), at: 0 }]]);
    const first = withUnlisted([], launched, 1000);
    assert.deepEqual(first.nodes.map((n) => [n.id, n.status, n.requestId]), [['i-9', 'pending', 'r1']]);
    assert.equal(withUnlisted([node('i-9', 'running')], first.keep, 2000).nodes.length, 1, 'once listed, the listing decides');
    assert.equal(withUnlisted([], first.keep, 2000, new Set(['i-9'])).nodes.length, 0, 'once the cloud reports it (even terminated), the cloud decides');
    assert.equal(withUnlisted([], launched, UNLISTED_GRACE_MS + 1).nodes.length, 0);
  });

  it('keeps what a cloud stores beside the node (GCP: its zone) and sorts the result by id', () => {
    const launched = new Map([['b', { node: node('b', 'pending'), at: 0, zone: 'z1' }]]);
    const { nodes, keep } = withUnlisted([node('a', 'running'), node('c', 'stopped')], launched, 10);
    assert.deepEqual(nodes.map((n) => n.id), ['a', 'b', 'c']);
    assert.equal(keep.get('b')?.zone, 'z1');
  });
});
