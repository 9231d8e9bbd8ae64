import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { EntrypointSyntaxError, joinWords, packageHash, splitWords } from '../../../src/jobs-client/entrypoint.js';

describe('a job\'s entrypoint line', () => {
  const ROUND_TRIPS: [string, string[]][] = [
    ['plain words', ['pkg://ab', '--rounds', '3']],
    ['a word with spaces', ['two words', 'x']],
    ['single and double quotes', ['it\'s', '"quoted"', '\'\'']],
    ['an empty word', ['', 'a', '']],
    ['shell characters, which nothing expands', ['$HOME', '`id`', '*', 'a;b', 'a|b', '\\n', 'a\nb', 'tab\there']],
    ['unicode', ['café', '日本']],
  ];
  for (const [name, words] of ROUND_TRIPS) {
    it(`reads back the words it was written from: ${name}`, () => {
      assert.deepEqual(splitWords(joinWords(words)), words);
    });
  }

  const READS: [string, string, string[]][] = [
    ['blanks separate words, however many', '  a \t b\nc  ', ['a', 'b', 'c']],
    ['double quotes keep blanks and take \\" \\\\ \\$ \\` escapes only', '"a b" "x\\"y" "\\n"', ['a b', 'x"y', '\\n']],
    ['a backslash outside quotes keeps the next character', 'a\\ b c', ['a b', 'c']],
    ['quoted parts join the word around them', 'a\'b c\'"d"e', ['ab cde']],
  ];
  for (const [name, line, words] of READS) {
    it(`is read as a shell reads it without expanding: ${name}`, () => {
      assert.deepEqual(splitWords(line), words);
    });
  }

  const BROKEN: [string, string, RegExp][] = [
    ['an unclosed single quote', 'a \'b', /the single quote at character 3 is not closed/],
    ['an unclosed double quote', '"a', /the double quote at character 1 is not closed/],
    ['a trailing backslash', 'a\\', /ends in a backslash/],
  ];
  for (const [name, line, match] of BROKEN) {
    it(`says where a line cannot be read: ${name}`, () => {
      assert.throws(() => splitWords(line), (e: unknown) => e instanceof EntrypointSyntaxError && match.test(e.message));
    });
  }

  it('a package URI is pkg:// and a lowercase SHA-256', () => {
    const hash = 'a'.repeat(64);
    assert.deepEqual([packageHash(`pkg://${hash}`), packageHash(`pkg://${hash.toUpperCase()}`), packageHash(`gcs://${hash}`), packageHash(`pkg://${hash}x`)], [hash, undefined, undefined, undefined]);
  });
});
