import ssh2 from 'ssh2';

export interface KeyPair { private: string; public: string }

const MAX_TRIES = 20;

/**
 * An ed25519 key pair that ssh2 (so the updater, and the head pinning it) can read back. ssh2's generator now and
 * then drops a leading zero byte of the public key (31 bytes instead of 32: about one key in 170), and the key
 * then fails at the first login with "Malformed OpenSSH private key"; such a pair is generated again.
 */
export function ed25519KeyPair(comment?: string, generate: () => KeyPair = () => ssh2.utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment })): KeyPair {
  for (let i = 0; i < MAX_TRIES; i++) {
    const k = generate();
    if (!(ssh2.utils.parseKey(k.private) instanceof Error) && !(ssh2.utils.parseKey(k.public) instanceof Error)) return k;
  }
  throw new Error(`ssh2 generated ${MAX_TRIES} unreadable ed25519 keys in a row`);
}
