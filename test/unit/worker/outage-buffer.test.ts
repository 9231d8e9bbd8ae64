import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { Message } from '../../../src/protocol/messages.js';
import { OutageBuffer } from '../../../src/worker/outage-buffer.js';

const done = (taskId: string, bytes = 0): Message => ({ type: 'task.done', taskId, attempt: 1, pid: 1, value: { kind: 'inline', data: new Uint8Array(bytes) } });

describe('what an agent keeps while its head is away', () => {
  it('messages come back in the order they were produced, and the buffer is empty after', () => {
    const b = new OutageBuffer();
    for (const m of [done('a'), { type: 'log', jobId: 'j', source: 's', nodeId: 'n', pid: 1, stream: 'stdout', text: 'x' } as Message, done('b')]) assert.equal(b.push(m), true);
    assert.deepEqual(b.drain().messages.map((m) => m.type === 'task.done' ? m.taskId : m.type), ['a', 'log', 'b']);
    assert.deepEqual(b.drain(), { messages: [], dropped: 0 });
  });

  it('heartbeats are not kept', () => {
    const b = new OutageBuffer();
    assert.equal(b.push({ type: 'heartbeat', nodeId: 'n' }), false);
    assert.equal(b.length, 0);
  });

  const BOUNDS: [string, { messages: number; bytes: number }, Message[], number][] = [
    ['past the message bound the newest are dropped and counted', { messages: 2, bytes: 1e9 }, [done('a'), done('b'), done('c')], 2],
    ['past the byte bound a large result is dropped, smaller ones still fit', { messages: 100, bytes: 2000 }, [done('a', 100), done('big', 5000), done('c', 100)], 2],
  ];
  for (const [name, bounds, msgs, kept] of BOUNDS) {
    it(name, () => {
      const b = new OutageBuffer(bounds);
      for (const m of msgs) b.push(m);
      const out = b.drain();
      assert.deepEqual([out.messages.length, out.dropped], [kept, msgs.length - kept]);
    });
  }
});
