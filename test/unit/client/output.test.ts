import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { prefixLines } from '../../../src/client/output.js';

describe('task output prefixes (prefixLines)', () => {
  const CASES: [string, string, string][] = [
    ['one line', 'hi\n', '(f) hi\n'],
    ['several lines', 'a\nb\n', '(f) a\n(f) b\n'],
    ['a last line without its newline, which gets one', 'a\nb', '(f) a\n(f) b\n'],
    ['an empty line inside', 'a\n\nb\n', '(f) a\n(f) \n(f) b\n'],
    ['nothing', '', ''],
  ];
  for (const [name, text, out] of CASES) it(`prefixes ${name}`, () => assert.equal(prefixLines('(f) ', text), out));
});
