import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { FakeProvider } from '../../../providers/fake/index.js';
import { terminateCloudNodes } from '../../../src/launcher/cloud-down.js';
import { CloudLeftoversError } from '../../../src/launcher/errors.js';

/** A cloud: the fake provider's nodes, plus what cleanUp leaves behind. */
class Cloud extends FakeProvider {
  left: string[] = [];
  cleaned = 0;
  async cleanUp(): Promise<string[]> {
    this.cleaned++;
    return this.left;
  }
}

describe('down on a cloud', () => {
  it('terminates the workers first, then the head, then cleans up', async () => {
    const p = new Cloud('c');
    await p.launch({ requestId: 'h', nodeType: 'head', kind: 'head', count: 1 });
    await p.launch({ requestId: 'w', nodeType: 'cpu', kind: 'worker', count: 2 });
    const terminated = await terminateCloudNodes(p, 'c');
    assert.deepEqual(p.calls.filter((c) => c.startsWith('terminate')), ['terminate cpu-1,cpu-2', 'terminate head-0']);
    assert.deepEqual(terminated.sort(), ['cpu-1', 'cpu-2', 'head-0']);
    assert.equal(p.cleaned, 1);
  });

  it('what the cloud still holds after cleaning up fails down (exit 1), named', async () => {
    const p = new Cloud('c');
    p.left = ['security group sg-1 (raylaunch-c)'];
    await assert.rejects(terminateCloudNodes(p, 'c'), (e: unknown) => e instanceof CloudLeftoversError && e.exitCode === 1 && /sg-1/.test(e.message) && e.remaining.length === 1);
  });
});
