/**
 * Worker host keys as the head pinned them: this machine reaches workers directly only for `rsync-up
 * --all-nodes` and `down`, and then trusts exactly what the head, reached over its own pinned key, vouches for.
 */
import { hostToken, parseKnownHosts, pin } from '../updater/known-hosts.js';
import { remoteStateDir } from '../updater/remote.js';
import type { CommandRunner, SshTarget } from '../updater/runner.js';

export async function pinWorkersFromHead(head: CommandRunner, local: SshTarget, cluster: string, ips: string[]): Promise<void> {
  const r = await head.run(`cat ${remoteStateDir(cluster)}/known_hosts 2>/dev/null; true`);
  const known = parseKnownHosts(r.stdout);
  for (const ip of ips) {
    const keys = known.filter((e) => e.hosts.includes(hostToken(ip, 22))).map((e) => e.key);
    for (const [i, key] of keys.entries()) await pin(local.knownHostsPath, ip, 22, key, { replace: i === 0 });
  }
}
