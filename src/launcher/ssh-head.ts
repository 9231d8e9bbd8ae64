/**
 * How the CLI reaches the head of a cluster whose nodes are reached over SSH: the login target, kept beside the
 * token so every later command (status, submit, exec, down) opens the same pinned connection.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expandHome } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import type { SshTarget } from '../updater/runner.js';
import type { CloudNode } from '../../providers/provider.js';
import { writePrivate } from './cluster-state.js';

export const sshHeadFile = (dir: string) => join(dir, 'ssh-head.json');
export const knownHostsPath = (dir: string) => join(dir, 'known_hosts');

export interface SshHead extends SshTarget {
  /** The head's private address inside the cluster (the control plane listens there). */
  internalIp: string;
  /**
   * The head's node id: the provider's id for it (a cloud's instance id, as its workers have theirs), so `status`
   * names every node alike. Missing in the files of clusters started before it was kept: the address then.
   */
  nodeId?: string;
}

/** The head's node id in the cluster (its registration, its log on the head). */
export const headNodeId = (h: SshHead): string => h.nodeId ?? h.internalIp;

/** The private key this machine logs in to nodes with (the head gets a copy for its workers). */
export const sshKeyPath = (c: ClusterConfig) => resolve(expandHome(c.auth.ssh_private_key ?? '~/.ssh/id_ed25519'));

/** The login to a head node: its address from the provider's listing, the user and key from the config. */
export function sshHeadTarget(c: ClusterConfig, dir: string, head: CloudNode): SshHead {
  const internalIp = head.internalIp ?? head.id;
  return {
    host: head.externalIp ?? internalIp, internalIp, nodeId: head.id, user: c.auth.ssh_user ?? 'root', privateKeyPath: sshKeyPath(c), knownHostsPath: knownHostsPath(dir),
    // A cloud head's host key came from raylaunch itself (in its UserData): pinned before the first connection.
    ...(head.hostKey ? { expectedHostKey: head.hostKey } : {}),
  };
}

export function saveSshHead(dir: string, h: SshHead): void {
  writePrivate(sshHeadFile(dir), JSON.stringify(h, null, 2));
}

export function readSshHead(dir: string): SshHead | undefined {
  try {
    return JSON.parse(readFileSync(sshHeadFile(dir), 'utf8')) as SshHead;
  } catch {
    return undefined;
  }
}
