/**
 * The cluster's login key on GCE: the private key file (auth.ssh_private_key, else one generated here, 0600 in the
 * cluster's state folder), whose public half goes into each node's `ssh-keys` metadata.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { ed25519KeyPair } from '../../src/common/ed25519.js';
import { ProviderConfigError } from '../errors.js';

export const generatedKeyPath = (stateDir: string) => join(stateDir, 'gcp_ssh_key');

/** The key's path and its public line (`ssh-ed25519 AAAA…`); generated when neither exists. */
export function ensureSshKey(o: { cluster: string; privateKeyPath: string | undefined; stateDir: string; progress(l: string): void }): { privateKeyPath: string; publicKey: string } {
  const path = o.privateKeyPath ?? generatedKeyPath(o.stateDir);
  if (existsSync(path)) {
    const parsed = ssh2.utils.parseKey(readFileSync(path));
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key instanceof Error) throw new ProviderConfigError(`cannot read the private key ${path}: ${key instanceof Error ? key.message : 'no key'}`, { hint: 'auth.ssh_private_key must be an unencrypted private key (OpenSSH or PEM)' });
    return { privateKeyPath: path, publicKey: `${key.type} ${key.getPublicSSH().toString('base64')}` };
  }
  if (o.privateKeyPath) throw new ProviderConfigError(`auth.ssh_private_key ${path} does not exist`, { hint: 'name an existing key, or leave auth.ssh_private_key out and raylaunch creates one' });
  const k = ed25519KeyPair(`raylaunch-${o.cluster}`);
  // Written under a fresh name with mode 0600 from its creation, then renamed into place.
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, k.private, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
  o.progress(`SSH key generated: ${path}`);
  return { privateKeyPath: path, publicKey: k.public.trim().split(/\s+/).slice(0, 2).join(' ') };
}

/** The `ssh-keys` metadata line GCE's guest agent turns into the user's authorized key. */
export const sshKeysLine = (user: string, publicKey: string, cluster: string) => `${user}:${publicKey} raylaunch-${cluster}`;
