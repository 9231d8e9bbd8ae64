import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { checkJobArgs, parseEnv } from '../../../src/commands/submit.js';
import { UsageError } from '../../../src/common/errors.js';

describe('submit: what goes to the job\'s driver is refused here when no process could carry it', () => {
  const ENV: [string, string[], Record<string, string> | RegExp][] = [
    ['plain pairs', ['MODE=fast', 'EMPTY=', 'EQ=a=b'], { MODE: 'fast', EMPTY: '', EQ: 'a=b' }],
    ['a value holding a NUL byte', ['MODE=a\0b'], /^--env MODE: the value holds a NUL byte/],
    ['a name that is none', ['1X=y'], /^--env 1X=y is not NAME=VALUE$/],
    ['raylaunch\'s own variables', ['RAYLAUNCH_TOKEN=x'], /RAYLAUNCH_ variables are raylaunch's own/],
  ];
  for (const [title, pairs, expected] of ENV) {
    it(`--env: ${title}`, () => {
      if (expected instanceof RegExp) assert.throws(() => parseEnv(pairs), (e: unknown) => e instanceof UsageError && expected.test(e.message));
      else assert.deepEqual(parseEnv(pairs), expected);
    });
  }

  it('job arguments holding a NUL byte are a usage error naming which', () => {
    assert.deepEqual(checkJobArgs(['--rounds', '3']), ['--rounds', '3']);
    assert.throws(() => checkJobArgs(['ok', 'a\0b']), (e: unknown) => e instanceof UsageError && /^argument 2 of the job holds a NUL byte/.test(e.message));
  });
});
