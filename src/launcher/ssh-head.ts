/**
 * How the CLI reaches the head of a cluster whose nodes are reached over SSH: the login target, kept beside the
 * token so every later command (status, submit, exec, down) opens the same pinned connection.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expandHome } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import type { SshTarget } from '../updater/runner.js';
import { ProviderConfigError } from '../../providers/errors.js';
import { writePrivate } from './cluster-state.js';

export const sshHeadFile = (dir: string) => join(dir, 'ssh-head.json');
export const knownHostsPath = (dir: string) => join(dir, 'known_hosts');

/** Providers whose nodes raylaunch reaches over SSH (all but the embedded process provider). */
export const isSshProvider = (c: Pick<ClusterConfig, 'provider'>) => c.provider.type !== 'process';

export interface SshHead extends SshTarget {
  /** The head's private address inside the cluster (the control plane listens there). */
  internalIp: string;
}

/** The login to the local provider's head; clouds will return theirs from the launched instance. */
export function localHeadTarget(c: ClusterConfig, dir: string): SshHead {
  if (c.provider.type !== 'local') {
    throw new ProviderConfigError(`this version of raylaunch starts clusters with provider types process and local; "${c.provider.type}" clusters cannot be started yet`, {
      hint: 'use provider: {type: process} to run a cluster on this machine or {type: local} for your own hosts; `raylaunch validate` checks the cloud providers\' configs',
    });
  }
  return {
    host: c.provider.external_head_ip ?? c.provider.head_ip, internalIp: c.provider.head_ip, user: c.auth.ssh_user ?? 'root',
    privateKeyPath: resolve(expandHome(c.auth.ssh_private_key ?? '~/.ssh/id_ed25519')), knownHostsPath: knownHostsPath(dir),
  };
}

/**
 * A worker as this machine reaches it: the head's login and key, and only the host key the head pinned for it
 * (copied here by pinWorkersFromHead), never trusted on first use.
 */
export function workerTarget(head: SshTarget, ip: string): SshTarget {
  return { host: ip, user: head.user, privateKeyPath: head.privateKeyPath, knownHostsPath: head.knownHostsPath, requirePinned: true };
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
