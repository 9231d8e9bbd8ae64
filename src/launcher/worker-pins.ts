/**
 * How this machine reaches the workers the head lists (`rsync-up --all-nodes`, `down`), and which host keys it
 * trusts for them. The head's word is worth less than the operator's own: a job on the head can write the head's
 * known_hosts and its pool file. So an address from the head is used only if it is a literal IP or host name;
 * a host the config names (and any host this machine pinned itself) is reached with this machine's own pins,
 * trusted on first use like the head; and only the other workers (cloud workers, which no config names) take
 * the head's pins, copied for their literal address into a file of their own that nothing else reads.
 */
import { join } from 'node:path';
import { isNodeAddress } from '../common/net.js';
import { hostToken, lookup, parseKnownHosts, pin } from '../updater/known-hosts.js';
import { remoteStateDir } from '../updater/remote.js';
import type { CommandRunner, SshTarget } from '../updater/runner.js';
import type { SshHead } from './ssh-head.js';

/** Host keys of workers as the head pinned them: never the head's, nor a config host's, nor one this machine pinned. */
export const workersKnownHostsPath = (dir: string) => join(dir, 'known_hosts.workers');

export interface WorkerReach {
  targets: SshTarget[];
  /** Addresses the head listed that are not addresses at all: not contacted. */
  refused: { host: string; reason: string }[];
}

export interface WorkerReachOptions {
  head: SshHead;
  cluster: string;
  /** The cluster's folder on this machine. */
  dir: string;
  /** Hosts the operator's config names (the local provider's head and workers). */
  configHosts: readonly string[];
  /** The workers, as the head lists them. */
  listed: readonly string[];
  /** The head's shell, for its known_hosts; unset when the head cannot be reached (no pins are copied then). */
  headRunner?: CommandRunner;
}

export async function reachWorkers(o: WorkerReachOptions): Promise<WorkerReach> {
  const reach: WorkerReach = { targets: [], refused: [] };
  const login = { user: o.head.user, privateKeyPath: o.head.privateKeyPath };
  const fromHead: string[] = [];
  for (const host of new Set(o.listed)) {
    if (!isNodeAddress(host)) {
      reach.refused.push({ host, reason: 'the head lists it as a worker, but it is not an IP address or host name; not contacted' });
      continue;
    }
    if (host === o.head.host || host === o.head.internalIp) continue; // the head is reached as the head
    const configHost = o.configHosts.includes(host);
    if (configHost || (await lookup(o.head.knownHostsPath, host, 22)).length > 0) {
      reach.targets.push({ host, ...login, knownHostsPath: o.head.knownHostsPath, requirePinned: !configHost });
    } else {
      fromHead.push(host);
      reach.targets.push({ host, ...login, knownHostsPath: workersKnownHostsPath(o.dir), requirePinned: true });
    }
  }
  if (fromHead.length > 0 && o.headRunner) {
    // Without the head's pins these workers are refused when contacted, and reported: never trusted blindly.
    const r = await o.headRunner.run(`cat ${remoteStateDir(o.cluster)}/known_hosts 2>/dev/null; true`).catch(() => undefined);
    const known = parseKnownHosts(r?.stdout ?? '');
    for (const host of fromHead) {
      // A line's host field must name this very address: a pattern (`*`, `10.0.*`) or another name never matches.
      const keys = known.filter((e) => e.hosts.includes(hostToken(host, 22))).map((e) => e.key);
      for (const [i, key] of keys.entries()) await pin(workersKnownHostsPath(o.dir), host, 22, key, { replace: i === 0 });
    }
  }
  return reach;
}
