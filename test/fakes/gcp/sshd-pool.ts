// Instances that are real machines: each instance the fake runs is a test host (a network namespace on the test
// bridge with its own sshd), booted with what Google's guest agent and an image would apply: the `ssh-keys`
// metadata as root's authorized_keys (the hosts share this machine's /etc, so no other user is made), the host's
// own new host key, which the guest agent publishes in guest attributes, and GCE_METADATA_HOST in every SSH
// session (sshd's SetEnv) pointing at the fake metadata server, as an image points google-auth-library at it.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { hostKeyPath } from '../../helpers/hosts/sshd.js';
import { tool } from '../../helpers/hosts/system.js';
import { SshdHostLeases } from '../shared/host-pool.js';
import { newEd25519HostKey, type BootRequest, type HostKey, type HostLease, type HostPool } from './host-pool.js';

const SSH_KEYGEN = tool('ssh-keygen') ?? 'ssh-keygen';
/** The only login user the test hosts have: `ssh-keys` lines for others are ignored (no user is added). */
const USER = 'root';

/** `root:ssh-ed25519 AAAA… comment` → `ssh-ed25519 AAAA… comment`; lines of other users are dropped. Pure. */
export function authorizedKeysFor(sshKeys: readonly string[], user = USER): string {
  return sshKeys.flatMap((l) => {
    const i = l.indexOf(':');
    return i > 0 && l.slice(0, i) === user ? [`${l.slice(i + 1).trim()}\n`] : [];
  }).join('');
}

export class SshdHostPool extends SshdHostLeases<BootRequest> implements HostPool {
  /** Per host, the private host key made for its next boot (the key its guest attributes publish). */
  private readonly madeKeys = new Map<string, string>();
  /** Boots still to come whose guest attributes report another key than the host serves (a fault). */
  wrongHostKeys = 0;
  readonly boots: { name: string; host: string; servedKey: string; reportedKey: string }[] = [];

  /**
   * The host's first boot makes its host key (as sshd's keygen on a fresh image does); the fake asks for it as the
   * instance starts running, before boot(), so the key is made here, on the host's disk, and read back from there.
   */
  hostKeys(lease: HostLease): HostKey[] {
    const h = this.hostOf(lease);
    const path = `${hostKeyPath(h)}.next`;
    rmSync(path, { force: true });
    rmSync(`${path}.pub`, { force: true });
    execFileSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', h.ns, '-f', path], { stdio: 'ignore', timeout: 10_000 });
    const [keyType = '', key = ''] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
    this.madeKeys.set(h.ns, readFileSync(path, 'utf8'));
    rmSync(path, { force: true });
    rmSync(`${path}.pub`, { force: true });
    const served = { keyType, key };
    const honest = this.wrongHostKeys === 0;
    if (!honest) this.wrongHostKeys -= 1;
    const reported = honest ? served : newEd25519HostKey();
    this.boots.push({ name: this.taken.get(h.ns) ?? '', host: h.ns, servedKey: `${served.keyType} ${served.key}`, reportedKey: `${reported.keyType} ${reported.key}` });
    return [reported];
  }

  boot(lease: HostLease, req: BootRequest): Promise<void> {
    const h = this.hostOf(lease);
    const hostKey = this.madeKeys.get(h.ns);
    this.madeKeys.delete(h.ns);
    return this.serial(h, () => this.pool.boot(h, {
      authorizedKeys: authorizedKeysFor(req.sshKeys),
      ...(hostKey === undefined ? {} : { hostKey }),
      ...(req.metadataHost === undefined ? {} : { env: { GCE_METADATA_HOST: req.metadataHost } }),
    }));
  }
}
