import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { add, fits, fromFixed, requestOf, shapeKey, subtract, toFixed } from '../../../src/common/resources.js';

describe('resource arithmetic (fixed point)', () => {
  it('ten 0.1 CPU requests add up to exactly 1 CPU', () => {
    let used = toFixed({});
    for (let i = 0; i < 10; i++) used = add(used, toFixed({ CPU: 0.1 }));
    assert.deepEqual(fromFixed(used), { CPU: 1 });
    assert.ok(fits(toFixed({ CPU: 1 }), used));
  });

  const FITS: [string, Record<string, number>, Record<string, number>, boolean][] = [
    ['a request within every resource fits', { CPU: 2, GPU: 1 }, { CPU: 2, GPU: 1 }, true],
    ['one CPU too many does not fit', { CPU: 2 }, { CPU: 3 }, false],
    ['a custom resource the node lacks does not fit', { CPU: 8 }, { CPU: 1, tpu: 1 }, false],
    ['a zero request fits anywhere', {}, { CPU: 0 }, true],
    ['fractions compare exactly', { CPU: 0.3 }, { CPU: 0.1 + 0.2 }, true],
  ];
  for (const [name, avail, need, want] of FITS) it(name, () => assert.equal(fits(toFixed(avail), toFixed(need)), want));

  it('subtract then add restores the original', () => {
    const a = toFixed({ CPU: 4, memory: 1e9 });
    assert.deepEqual(add(subtract(a, toFixed({ CPU: 1.5 })), toFixed({ CPU: 1.5 })), a);
  });

  it('a task needs 1 CPU unless told otherwise; GPUs, memory and custom resources add up', () => {
    assert.deepEqual(requestOf({}, 1), { CPU: 1 });
    assert.deepEqual(requestOf({ numCpus: 0, numGpus: 1, memory: 100, resources: { tpu: 2 } }, 1), { tpu: 2, CPU: 0, GPU: 1, memory: 100 });
  });

  it('the shape key ignores key order and zero amounts', () => {
    assert.equal(shapeKey(toFixed({ GPU: 1, CPU: 2 })), shapeKey(toFixed({ CPU: 2, GPU: 1, x: 0 })));
  });
});
