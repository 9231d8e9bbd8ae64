import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { KeyedSerial, Serial } from '../../../src/common/serial.js';

/** A step that records when it starts and ends, and ends when the test says. */
function step(log: string[], name: string): { fn: () => Promise<string>; finish: () => void } {
  let finish = () => {};
  const done = new Promise<void>((r) => (finish = r));
  return { fn: async () => { log.push(`${name} start`); await done; log.push(`${name} end`); return name; }, finish: () => finish() };
}

describe('Serial and KeyedSerial', () => {
  it('runs one at a time, in the order given, and a failure does not stop the next', async () => {
    const s = new Serial();
    const log: string[] = [];
    const a = step(log, 'a');
    const first = s.run(a.fn);
    const failed = s.run(async () => { log.push('b'); throw new Error('b failed'); });
    const third = s.run(async () => { log.push('c'); return 'c'; });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['a start'], 'the others wait for a');
    a.finish();
    assert.equal(await first, 'a');
    await assert.rejects(failed, /b failed/);
    assert.equal(await third, 'c');
    assert.deepEqual(log, ['a start', 'a end', 'b', 'c']);
  });

  it('keys apart run at the same time; one key runs one at a time', async () => {
    const s = new KeyedSerial();
    const log: string[] = [];
    const x1 = step(log, 'x1');
    const y1 = step(log, 'y1');
    const runs = [s.run('x', x1.fn), s.run('y', y1.fn), s.run('x', async () => { log.push('x2'); return 'x2'; })];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['x1 start', 'y1 start']);
    x1.finish();
    y1.finish();
    assert.deepEqual(await Promise.all(runs), ['x1', 'y1', 'x2']);
    assert.deepEqual(log.indexOf('x2') > log.indexOf('x1 end'), true);
  });
});
