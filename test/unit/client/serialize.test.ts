import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { makeHandle } from '../../../src/client/actor-handle.js';
import { SerializationError } from '../../../src/client/errors.js';
import { ObjectRef } from '../../../src/client/object-ref.js';
import { decodeValue, encodeValue } from '../../../src/client/serialize.js';

const roundTrip = (v: unknown) => decodeValue(encodeValue(v, 'v').bytes);

describe('value encoding', () => {
  const VALUES: [string, unknown][] = [
    ['numbers and strings', [1, 'two', 3.5, null, true]],
    ['Map and Set', { m: new Map([['a', new Set([1])]]) }],
    ['Date and BigInt', { d: new Date(5), b: 10n ** 30n }],
    ['typed arrays and Buffers', { f: new Float64Array([1, 2]), b: Buffer.from('hi') }],
    ['cycles', (() => { const o: Record<string, unknown> = { a: 1 }; o.self = o; return o; })()],
  ];
  for (const [name, v] of VALUES) it(`keeps ${name}`, () => assert.deepEqual(roundTrip(v), v));

  it('refs come back as ObjectRef instances at any depth, and are listed', () => {
    const r = ObjectRef.of<number>('obj-1');
    const enc = encodeValue({ list: [r], map: new Map([['k', r]]) }, 'v');
    assert.deepEqual(enc.refs, ['obj-1', 'obj-1']);
    const back = decodeValue(enc.bytes) as { list: ObjectRef[]; map: Map<string, ObjectRef> };
    assert.ok(back.list[0] instanceof ObjectRef && back.list[0].id === 'obj-1');
    assert.ok(back.map.get('k') instanceof ObjectRef);
  });

  it('does not copy a value without refs', () => {
    const v = { a: [1, 2, 3] };
    assert.deepEqual(encodeValue(v, 'v').refs, []);
  });

  const BAD: [string, unknown, RegExp][] = [
    ['a function, by its path', { config: { cb: () => 1 } }, /^argument 1\.config\.cb is a function/],
    ['a symbol in an array', [1, Symbol('s')], /^argument 1\[1\] is a symbol/],
    ['a function inside a Map', new Map([['k', () => 1]]), /^argument 1\.get\("k"\) is a function/],
  ];
  for (const [name, v, re] of BAD) {
    it(`refuses ${name}`, () => assert.throws(() => encodeValue(v, 'argument 1'), (e: Error) => e instanceof SerializationError && re.test(e.message)));
  }

  const PATHS: [string, unknown, string][] = [
    ['a function', { config: { cb: () => 1 } }, 'argument 1.config.cb'],
    ['a symbol', [1, Symbol('s')], 'argument 1[1]'],
    ['what v8 cannot clone', { p: new Proxy({}, {}) }, 'argument 1'],
  ];
  for (const [name, v, path] of PATHS) {
    it(`names the place of ${name} in SerializationError.path`, () => {
      assert.throws(() => encodeValue(v, 'argument 1'), (e: Error) => e instanceof SerializationError && e.path === path && e.taskName === undefined);
    });
  }

  it('an actor handle comes back as the reviver it is given makes it, at any depth; without one, as its marker', () => {
    const ref = { actorId: 'a1', cls: 'C', methods: ['m'] };
    const bytes = encodeValue({ list: [makeHandle(ref, () => ObjectRef.of('x'))] }, 'v').bytes;
    const revived: unknown[] = [];
    const back = decodeValue(bytes, (r) => { revived.push(r); return 'revived'; }) as { list: unknown[] };
    assert.deepEqual([back.list, revived], [['revived'], [ref]]);
    const raw = decodeValue(bytes) as { list: Record<string, unknown>[] };
    assert.deepEqual(Object.values(raw.list[0] ?? {}), [ref]);
  });
});
