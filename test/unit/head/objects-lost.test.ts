import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { errorFromInfo, ObjectLostError } from '../../../src/client/errors.js';
import { ObjectDirectory } from '../../../src/head/objects.js';

describe('objects lost with their node (ObjectDirectory.markLost)', () => {
  it("become ObjectLostErrors that name the object and the node, and other nodes' objects stay", () => {
    const objects = new ObjectDirectory(() => undefined);
    objects.set('o1', { kind: 'stored', nodeId: 'n1', size: 10, address: 'h:1' }, 'job');
    objects.set('o2', { kind: 'stored', nodeId: 'n2', size: 10, address: 'h:2' }, 'job');
    objects.markLost('n1');
    const v = objects.get('o1');
    assert.equal(v?.kind, 'error');
    const e = v?.kind === 'error' ? errorFromInfo(v.error) : undefined;
    assert.ok(e instanceof ObjectLostError);
    assert.deepEqual([e.objectId, e.nodeId], ['o1', 'n1']);
    assert.equal(objects.get('o2')?.kind, 'stored');
  });
});
