import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { parsePrometheusText, sampleValue } from '../../helpers/prom-text.js';

// The tests' Prometheus text parser is only worth its strictness: each of these is refused, naming why.
const H = '# HELP h_seconds x\n# TYPE h_seconds histogram\n';
const REFUSED: [string, string, RegExp][] = [
  ['a sample before any TYPE', 'x 1\n', /x has no TYPE/],
  ['a family declared again after another', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n', /a is declared again/],
  ['a TYPE after its samples', '# TYPE a gauge\na 1\n# HELP a x\n', /HELP of a after its samples/],
  ['a series twice', '# TYPE a gauge\na{l="1"} 1\na{l="1"} 2\n', /same labels twice/],
  ['a label value not quoted', '# TYPE a gauge\na{l=1} 1\n', /not quoted/],
  ['a bad escape in a label value', '# TYPE a gauge\na{l="\\t"} 1\n', /not an escape/],
  ['a value that is no number', '# TYPE a gauge\na one\n', /not a number/],
  ['a negative counter', '# TYPE a_total counter\na_total -1\n', /counter a_total is -1/],
  ['an unknown type', '# TYPE a meter\n', /not a metric type/],
  ['no newline at the end', '# TYPE a gauge\na 1', /newline/],
  ['a histogram without +Inf', `${H}h_seconds_bucket{le="1"} 1\nh_seconds_sum 1\nh_seconds_count 1\n`, /no \+Inf bucket/],
  ['buckets not cumulative', `${H}h_seconds_bucket{le="1"} 2\nh_seconds_bucket{le="+Inf"} 1\nh_seconds_sum 1\nh_seconds_count 1\n`, /not cumulative/],
  ['_count other than +Inf', `${H}h_seconds_bucket{le="+Inf"} 2\nh_seconds_sum 1\nh_seconds_count 1\n`, /_count is not the \+Inf bucket/],
];

describe('the tests\' strict Prometheus text parser', () => {
  for (const [what, text, why] of REFUSED) it(`refuses ${what}`, () => assert.throws(() => parsePrometheusText(text), why));

  it('reads families, HELP, TYPE, escaped labels and special values', () => {
    const f = parsePrometheusText(`# HELP a A \\\\ thing\n# TYPE a gauge\na{l="x\\"y",m="z"} NaN\na{l="2"} +Inf\n${H}h_seconds_bucket{le="1"} 1\nh_seconds_bucket{le="+Inf"} 2\nh_seconds_sum 3\nh_seconds_count 2\n`);
    assert.deepEqual([f.get('a')?.help, f.get('a')?.type, f.get('h_seconds')?.samples.length], ['A \\ thing', 'gauge', 4]);
    assert.ok(Number.isNaN(sampleValue(f, 'a', { l: 'x"y', m: 'z' })));
    assert.equal(sampleValue(f, 'a', { l: '2' }), Infinity);
  });
});
