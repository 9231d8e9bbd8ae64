import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDir, raylaunchHome } from '../common/paths.js';
import { lastCluster, readClusterConfig, readHeadInfo } from './cluster-state.js';
import { ClusterNotFoundError } from './errors.js';
import { readSshHead } from './ssh-head.js';

/**
 * UP: its head answers. UNREACHABLE: it should be up, but its head does not answer. INIT: `up` began and the head
 * never came up. DOWN: taken down (its last run's logs and jobs are kept).
 */
export type ClusterState = 'UP' | 'UNREACHABLE' | 'INIT' | 'DOWN';

export interface KnownCluster {
  name: string;
  provider: string | null;
  state: ClusterState;
  /** Where the CLI reaches it: the SSH login host, or the control plane's address on this machine. */
  head_address: string | null;
  /** Live nodes, head included (known only when the head answers). */
  nodes: number | null;
  /** When its head started (epoch ms). */
  started_at: number | null;
  /** Whether commands without CONFIG or -c mean this one (the most recent up). */
  last: boolean;
}

/** What the files of a cluster say, before asking its head. */
export function fromFiles(name: string): KnownCluster {
  const dir = clusterDir(name);
  const config = readClusterConfig(dir);
  const head = readHeadInfo(dir);
  const ssh = readSshHead(dir);
  return {
    name, provider: config?.provider.type ?? null,
    state: !config ? 'DOWN' : head ? 'UNREACHABLE' : 'INIT',
    head_address: config ? (ssh?.host ?? head?.address ?? null) : null,
    nodes: null, started_at: config ? (head?.startedAt ?? null) : null, last: lastCluster() === name,
  };
}

export function clusterNames(): string[] {
  try {
    return readdirSync(join(raylaunchHome(), 'clusters'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/** A one-line-per-cluster list from the files alone (no head asked), for error hints. */
export function clusterHint(): string {
  const known = clusterNames().map(fromFiles);
  if (known.length === 0) return 'start one with raylaunch up <config.yaml>';
  const what = (c: KnownCluster) => `${c.name} (${c.provider ? `${c.provider}, ` : ''}${c.state === 'DOWN' ? 'down' : c.state === 'INIT' ? 'never came up' : 'up'})`;
  return `clusters on this machine: ${known.map(what).join(', ')}; raylaunch clusters shows them; start one with raylaunch up <config.yaml>`;
}

/** "cluster X is not running", saying when X is the default (most recent up) and it was taken down. */
export function notRunning(name: string): ClusterNotFoundError {
  const taken = !readClusterConfig(clusterDir(name));
  const message = name === lastCluster() && taken
    ? `cluster ${name}, the one of the most recent up, was taken down`
    : `cluster ${name} is not running`;
  return new ClusterNotFoundError(message, { hint: clusterHint() });
}
