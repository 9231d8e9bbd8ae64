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

  const DUPLICATES: [string, string, string[]][] = [
    ['in a flow mapping', 'a: {x: 1, y: 2, x: 3}\n', ['1:17 duplicate key "x"']],
    ['in a mapping inside a list', 'l:\n  - {a: 1}\n  - a: 1\n    b: 2\n    a: 3\n', ['5:5 duplicate key "a"']],
    ['quoted, as written', '"k": 1\n"k": 2\n', ['2:1 duplicate key ""k""']],
    ['empty keys', ': 1\n: 2\n', ['2:1 duplicate key ""']],
    ['every repeat, each at its own line', 'a: 1\na: 2\nb: 1\na: 3\n', ['2:1 duplicate key "a"', '4:1 duplicate key "a"']],
    ['not merge keys (<<), which may repeat', 'x: &x {p: 1}\ny: &y {q: 2}\nz:\n  <<: *x\n  <<: *y\n', []],
    ['not 1 and "1", which are different keys', '1: a\n"1": b\n', []],
  ];
  for (const [name, text, want] of DUPLICATES) {
    it(`finds duplicate keys ${name}`, () => {
      const { errors } = parseYaml(text, 'f.yaml');
      assert.deepEqual(errors.map((e) => `${e.line}:${e.column} ${e.message.replace(/: a key may appear only once in a mapping$/, '')}`), want);
    });
  }

  it('cuts a long line in a frame to a window around the column', () => {
    const { errors } = parseYaml(`a: 1\nb: [${'1, '.repeat(50_000)}"open\n`, 'f.yaml');
    const frame = errors[0]?.frame ?? '';
    assert.ok(frame.split('\n').every((l) => l.length < 140), frame);
    assert.match(frame, /^ {2}1 \| a: 1\n> 2 \| …1, 1, .*1, "open\n {4}\| {62}\^$/);
  });

  it('a file nested past what the parser can read is an error saying so', () => {
    const { errors } = parseYaml(`a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'f.yaml');
    assert.equal(errors[0]?.message, 'the file nests too deeply to be read');
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
