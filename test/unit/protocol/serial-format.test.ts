import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { describe, it } from 'mocha';
import { versionRefusal } from '../../../src/common/admission.js';
import { formatHeader, formatOf, LOCAL_FORMAT, parseFormatHeader, serialRefusal } from '../../../src/protocol/serial-format.js';

describe('the serialization format check at connect', () => {
  it('the format version is the one the serializer writes in its header, not cachedDataVersionTag', () => {
    const bytes = serialize({ a: 1 });
    assert.equal(bytes[0], 0xff);
    assert.equal(formatOf(bytes), bytes[1]);
    assert.ok(LOCAL_FORMAT.v8 >= 13, `format ${LOCAL_FORMAT.v8}`);
    assert.equal(LOCAL_FORMAT.node, process.version);
  });

  const FORMATS: [string, Uint8Array, number | undefined][] = [
    ['a one-byte version', Uint8Array.of(0xff, 0x0f, 0x49), 15],
    ['a two-byte varint version', Uint8Array.of(0xff, 0x81, 0x01), 129],
    ['no 0xFF header byte', Uint8Array.of(0x0f, 0x49), undefined],
    ['a header cut short', Uint8Array.of(0xff, 0x81), undefined],
  ];
  for (const [name, bytes, want] of FORMATS) it(`formatOf reads ${name}`, () => assert.equal(formatOf(bytes), want));

  const local = { v8: 15, node: 'v20.20.2' };
  const CASES: [string, string | undefined, RegExp | undefined][] = [
    ['a peer of the same format on another Node.js is admitted', formatHeader({ v8: 15, node: 'v22.11.0' }), undefined],
    ['a peer of a newer format is refused, both Node.js versions named', formatHeader({ v8: 16, node: 'v26.0.0' }),
      /client runs Node\.js v26\.0\.0 \(V8 serialization format 16\) and this cluster Node\.js v20\.20\.2 \(format 15\)/],
    ['a peer of an older format is refused too (the cluster writes what it cannot read)', formatHeader({ v8: 13, node: 'v12.22.0' }),
      /client runs Node\.js v12\.22\.0 \(V8 serialization format 13\) and this cluster Node\.js v20\.20\.2/],
    ['a peer that does not say its format is refused, this side named', undefined, /did not say .*\(this cluster runs Node\.js v20\.20\.2, V8 serialization format 15\)/],
    ['a malformed header is refused', 'v8=x; node=v1', /did not say/],
  ];
  for (const [name, header, refusal] of CASES) {
    it(name, () => {
      const r = serialRefusal(header, local);
      if (refusal === undefined) assert.equal(r, undefined);
      else assert.match(r ?? '', refusal);
    });
  }

  it('the header this process sends parses back to its own format, which it admits', () => {
    assert.deepEqual(parseFormatHeader(formatHeader()), LOCAL_FORMAT);
    assert.equal(serialRefusal(formatHeader()), undefined);
    assert.equal(versionRefusal(undefined) !== undefined, true); // the protocol version is checked on its own
  });
});
