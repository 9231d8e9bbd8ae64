import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { OutputCursor } from '../../../src/jobs-client/cursor.js';

describe('OutputCursor: a follower back after a drop shows each character of a job\'s output once', () => {
  const cases: [string, [string, number | undefined][], string][] = [
    ['pieces in order are shown whole', [['ab', 0], ['cd', 2]], 'abcd'],
    ['a piece seen before the drop is not shown again', [['ab', 0], ['cd', 2], ['cd', 2], ['ef', 4]], 'abcdef'],
    ['a piece that overlaps what was seen shows only its new part', [['abc', 0], ['bcde', 1]], 'abcde'],
    ['a note of the head\'s (no offset) is shown and not counted', [['ab', 0], ['note\n', undefined], ['cd', 2]], 'abnote\ncd'],
  ];
  for (const [title, pieces, shown] of cases) {
    it(title, () => {
      const c = new OutputCursor();
      assert.equal(pieces.map(([t, at]) => c.take(t, at)).join(''), shown);
    });
  }

  it('counts what it has seen, which the follower asks from after a drop', () => {
    const c = new OutputCursor();
    c.take('hello', 0);
    c.take('note', undefined);
    assert.equal(c.seen, 5);
  });
});
