import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { actorCall, actorSpec, type Caller, encodeArgs, taskSpec } from '../../../src/client/call-specs.js';
import { MAX_LIST_ITEMS } from '../../../src/protocol/shapes.js';
import { SerializationError } from '../../../src/client/errors.js';
import { ObjectRef } from '../../../src/client/object-ref.js';
import { decodeValue } from '../../../src/client/serialize.js';
import { toFixed } from '../../../src/common/resources.js';

const caller: Caller = { jobId: 'job-1', owner: 'driver-1', namespace: 'job-1' };
const none = { args: [], deps: [] };

describe('call arguments (encodeArgs)', () => {
  it('sends a top-level ref as a dependency, and a small value inline', () => {
    const stored: Uint8Array[] = [];
    const { args, deps } = encodeArgs([ObjectRef.of('o1'), { a: 1 }], 'f()', 1000, (b) => { stored.push(b); return 'big'; });
    assert.deepEqual(args[0], { ref: 'o1' });
    const second = args[1];
    assert.ok(second && 'value' in second);
    assert.deepEqual(decodeValue(second.value), { a: 1 });
    assert.deepEqual(deps, ['o1']);
    assert.equal(stored.length, 0);
  });

  it(`a call with more than ${MAX_LIST_ITEMS} arguments is refused where it is made (the head would refuse its message)`, () => {
    assert.throws(() => encodeArgs(Array<number>(MAX_LIST_ITEMS + 1).fill(1), 'f()', 1000, () => 'x'), /^RangeError: f\(\) was called with 100001 arguments; a call takes at most 100000/);
    assert.equal(encodeArgs(Array<number>(MAX_LIST_ITEMS).fill(1), 'f()', 1000, () => 'x').args.length, MAX_LIST_ITEMS);
  });

  it('stores a value above the inline limit once, and sends it as a dependency', () => {
    const stored: Uint8Array[] = [];
    const { args, deps } = encodeArgs(['x'.repeat(100)], 'f()', 10, (b) => { stored.push(b); return 'o9'; });
    assert.deepEqual(args, [{ ref: 'o9' }]);
    assert.deepEqual(deps, ['o9']);
    assert.equal(decodeValue(stored[0]!), 'x'.repeat(100));
  });

  it('names the argument and the call of a value that cannot travel', () => {
    assert.throws(() => encodeArgs([1, () => 2], 'echo()', 1000, () => 'never'),
      (e: unknown) => e instanceof SerializationError && e.path === 'argument 2 of echo()');
  });
});

describe('task and actor specs: the API defaults', () => {
  it('a task needs 1 CPU, is retried 3 times after crashes and never after exceptions, unless told', () => {
    const t = taskSpec(caller, { taskId: 't1', parent: undefined, fn: { key: 'k', name: 'f' }, call: none }, {});
    assert.deepEqual(t, {
      taskId: 't1', jobId: 'job-1', owner: 'driver-1', fn: 'k', name: 'f', args: [], deps: [], returnId: 't1.r',
      resources: toFixed({ CPU: 1 }), maxRetries: 3, retryExceptions: false,
    });
  });

  it('a task names its parent and its placement group bundle (any bundle unless told)', () => {
    const t = taskSpec(caller, { taskId: 't2', parent: 't1', fn: { key: 'k', name: 'f' }, call: none }, { placementGroup: { id: 'pg1' }, numCpus: 0.5 });
    assert.equal(t.parent, 't1');
    assert.deepEqual(t.placement, { pgId: 'pg1', bundleIndex: -1 });
    assert.deepEqual(t.resources, toFixed({ CPU: 0.5 }));
  });

  const ACTOR_CPUS: [string, { numCpus?: number }, Record<string, number>, Record<string, number>][] = [
    ['needs 1 CPU to be placed and holds none by default', {}, { CPU: 1 }, {}],
    ['needs and holds the CPUs it asks for', { numCpus: 2 }, { CPU: 2 }, { CPU: 2 }],
    ['with numCpus: 0 needs and holds nothing', { numCpus: 0 }, {}, {}],
  ];
  for (const [name, o, place, hold] of ACTOR_CPUS) {
    it(`an actor ${name}`, () => {
      const a = actorSpec(caller, { actorId: 'a1', cls: { key: 'C', name: 'C', methods: ['m'] }, call: none }, o);
      assert.deepEqual([a.place, a.hold], [toFixed(place), toFixed(hold)]);
    });
  }

  it("an actor lives in the caller's namespace for its job, restarts and retries nothing, runs one call at a time, unless told", () => {
    const a = actorSpec(caller, { actorId: 'a1', cls: { key: 'C', name: 'C', methods: ['m'] }, call: none }, {});
    assert.deepEqual([a.namespace, a.lifetime, a.maxRestarts, a.maxTaskRetries, a.maxConcurrency, 'actorName' in a], ['job-1', 'job', 0, 0, 1, false]);
    const named = actorSpec(caller, { actorId: 'a2', cls: { key: 'C', name: 'C', methods: [] }, call: none }, { name: 'shared', namespace: 'team', maxConcurrency: 0 });
    assert.deepEqual([named.actorName, named.namespace, named.maxConcurrency], ['shared', 'team', 1]);
  });

  it("an actor call's result is its call id's", () => {
    assert.equal(actorCall(caller, { callId: 'c1', actorId: 'a1', method: 'm', call: none }).returnId, 'c1.r');
  });
});
