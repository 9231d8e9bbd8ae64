import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'mocha';
import { tokenMatches, versionRefusal } from '../../../src/common/admission.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/messages.js';

describe('control-plane admission', () => {
  const expected = createHash('sha256').update('s3cret').digest();
  const TOKENS: [string, string | undefined, boolean][] = [
    ['the right bearer token is accepted', 'Bearer s3cret', true],
    ['a wrong token is refused', 'Bearer s3cre', false],
    ['a missing header is refused', undefined, false],
    ['another scheme is refused', 'Basic s3cret', false],
    ['an empty bearer is refused', 'Bearer ', false],
  ];
  for (const [name, header, ok] of TOKENS) it(name, () => assert.equal(tokenMatches(header, expected), ok));

  it('the same protocol version is admitted; others are told which side to upgrade', () => {
    assert.equal(versionRefusal(String(PROTOCOL_VERSION)), undefined);
    assert.match(versionRefusal(String(PROTOCOL_VERSION - 1)) ?? '', /upgrade the client/);
    assert.match(versionRefusal(String(PROTOCOL_VERSION + 1)) ?? '', /upgrade the cluster/);
    assert.match(versionRefusal(undefined) ?? '', /did not say which raylaunch protocol/);
  });
});
