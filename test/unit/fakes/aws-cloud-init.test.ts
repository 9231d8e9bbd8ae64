// The fake's reading of UserData, which the sshd host pool boots hosts from: if it missed the host key, every AWS
// end-to-end test would fail on a key mismatch that is no bug of the provider's.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { userData } from '../../../providers/aws/user-data.js';
import { ed25519KeyPair } from '../../../src/common/ed25519.js';
import { cloudInitKeys, type CloudInitKeys } from '../../fakes/aws/cloud-init.js';

const key = ed25519KeyPair();
const hostKey = { private: key.private, public: key.public };
const b64 = (text: string) => Buffer.from(text).toString('base64');
const ownArchive = [
  'Content-Type: multipart/mixed; boundary="inner"', 'MIME-Version: 1.0', '',
  '--inner', 'Content-Type: text/cloud-config', 'Content-Transfer-Encoding: base64', '',
  b64('#cloud-config\nssh_authorized_keys: [ssh-ed25519 AAAAencoded user@b]\n'), '--inner--', '',
].join('\n');

describe('fake AWS: cloud-init keys from UserData', () => {
  const CASES: [string, string | undefined, CloudInitKeys][] = [
    ['no UserData installs nothing', undefined, { authorizedKeys: [] }],
    ['raylaunch\'s archive alone installs its host key', b64(userData(hostKey, undefined)), { hostKey: key.private.trim(), authorizedKeys: [] }],
    ['a user\'s shell script beside it changes nothing', b64(userData(hostKey, '#!/bin/sh\necho hi\n')), { hostKey: key.private.trim(), authorizedKeys: [] }],
    ['a user\'s cloud-config beside it adds its authorized keys', b64(userData(hostKey, '#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 AAAAuser user@a\n')),
      { hostKey: key.private.trim(), authorizedKeys: ['ssh-ed25519 AAAAuser user@a'] }],
    ['a user\'s own archive is walked, base64 parts decoded', b64(userData(hostKey, ownArchive)),
      { hostKey: key.private.trim(), authorizedKeys: ['ssh-ed25519 AAAAencoded user@b'] }],
    ['a bare cloud-config is read too', b64('#cloud-config\nssh_keys:\n  ed25519_private: |\n    PRIVATE\n'), { hostKey: 'PRIVATE', authorizedKeys: [] }],
  ];
  for (const [name, given, want] of CASES) {
    it(name, () => {
      const got = cloudInitKeys(given);
      // YAML's block scalar ends the key with a newline; the key is the same with or without it.
      assert.deepEqual({ ...got, ...(got.hostKey === undefined ? {} : { hostKey: got.hostKey.trim() }) }, want);
    });
  }
});
