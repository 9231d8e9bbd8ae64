import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import ssh2 from 'ssh2';
import { ed25519KeyPair, type KeyPair } from '../../../src/common/ed25519.js';

describe('ed25519 key pairs by ssh2 (cluster login keys and handed-in host keys)', () => {
  const good = ssh2.utils.generateKeyPairSync('ed25519');
  const UNREADABLE: { name: string; bad: KeyPair }[] = [
    { name: 'a private key ssh2 cannot parse (its dropped zero byte)', bad: { private: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', public: good.public } },
    { name: 'a public key ssh2 cannot parse', bad: { private: good.private, public: 'ssh-ed25519 AAAAH8yR' } },
  ];
  for (const c of UNREADABLE) {
    it(`${c.name} is generated again`, () => {
      const made = [c.bad, good];
      const k = ed25519KeyPair(undefined, () => made.shift() ?? good);
      assert.equal(k, good);
      assert.equal(made.length, 0, 'generated twice');
    });
  }

  it('a generator that never gives a readable key fails, naming it, after a bounded number of tries', () => {
    let calls = 0;
    assert.throws(() => ed25519KeyPair(undefined, () => { calls += 1; return UNREADABLE[0]!.bad; }), /unreadable ed25519 keys/);
    assert.ok(calls > 1 && calls <= 20, String(calls));
  });

  it('the keys it gives are read back by ssh2', () => {
    for (let i = 0; i < 50; i++) assert.ok(!(ssh2.utils.parseKey(ed25519KeyPair('raylaunch-c').private) instanceof Error));
  });
});
