import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { REDACTED, redact } from '../../../src/config/redact.js';

describe('secret redaction', () => {
  const cases: [string, unknown, unknown][] = [
    ['whole aws_credentials blocks', { aws_credentials: { aws_secret_access_key: 's' } }, { aws_credentials: REDACTED }],
    ['gcp credentials', { gcp_credentials: { type: 'credentials_token', credentials: 't' } }, { gcp_credentials: REDACTED }],
    ['keys named like tokens or passwords, at any depth', { metadata: { a: [{ api_token: 'x', db_password: 'y', n: 1 }] } }, { metadata: { a: [{ api_token: REDACTED, db_password: REDACTED, n: 1 }] } }],
    ['key file paths, which are not secret', { auth: { ssh_private_key: '~/.ssh/k.pem' } }, { auth: { ssh_private_key: '~/.ssh/k.pem' } }],
  ];
  for (const [name, input, want] of cases) it(`redacts ${name}`, () => assert.deepEqual(redact(input), want));

  it('leaves the input untouched', () => {
    const input = { aws_credentials: { aws_secret_access_key: 's' } };
    redact(input);
    assert.equal(input.aws_credentials.aws_secret_access_key, 's');
  });
});
