import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { locate, parseYaml, toValue } from '../../../src/config/yaml.js';

describe('YAML reading (PyYAML\'s YAML 1.1 dialect)', () => {
  const cases: [string, unknown][] = [
    ['yes', true], ['Yes', true], ['on', true], ['ON', true], ['no', false], ['off', false], ['True', true],
    ['y', 'y'], ['n', 'n'], ['Y', 'Y'],
    ['1e3', '1e3'], ['1.0e+3', 1000], ['1.5', 1.5], ['0777', 511], ['0x1F', 31], ['12_000', 12000],
    ['~', null], ['null', null], ['', null],
  ];
  for (const [text, want] of cases) {
    it(`reads "${text}" as ${JSON.stringify(want)}`, () => {
      const { source, errors } = parseYaml(`v: ${text}\n`, 'f.yaml');
      assert.deepEqual(errors, []);
      assert.deepEqual((toValue(source) as { v: unknown }).v, want);
    });
  }

  it('keeps a key named y as the string "y"', () => {
    const { source } = parseYaml('m:\n  y: 2\n', 'f.yaml');
    assert.deepEqual(toValue(source), { m: { y: 2 } });
  });

  it('resolves anchors and merge keys', () => {
    const { source } = parseYaml('base: &b {CPU: 2}\nt:\n  <<: *b\n  GPU: 1\n', 'f.yaml');
    assert.deepEqual((toValue(source) as { t: unknown }).t, { CPU: 2, GPU: 1 });
  });

  it('reports a duplicate key at its second occurrence, with a code frame', () => {
    const { errors } = parseYaml('a: 1\nprovider:\n  type: aws\n  type: gcp\n', 'f.yaml');
    assert.equal(errors.length, 1);
    const e = errors[0]!;
    assert.equal(e.message, 'duplicate key "type": a key may appear only once in a mapping');
    assert.deepEqual([e.line, e.column], [4, 3]);
    assert.equal(e.frame, '  3 |   type: aws\n> 4 |   type: gcp\n    |   ^');
  });

  it('reports a syntax error with its line and a two-line frame', () => {
    const { errors } = parseYaml('a: 1\nb: "unterminated\n', 'f.yaml');
    assert.ok(errors.length >= 1);
    const e = errors[0]!;
    assert.match(e.message, /^YAML syntax error: /);
    assert.equal(e.line, 2);
    assert.match(e.frame ?? '', /> 2 \| b: "unterminated/);
  });

  it('locates a value, a key, and the nearest ancestor of a missing key', () => {
    const { source } = parseYaml('provider:\n  type: aws\nmax_workers: 3\n', 'f.yaml');
    assert.deepEqual(locate(source, ['max_workers']), { line: 3, column: 14 });
    assert.deepEqual(locate(source, ['max_workers'], 'key'), { line: 3, column: 1 });
    assert.deepEqual(locate(source, ['provider', 'region']), { line: 2, column: 3 });
  });
});
