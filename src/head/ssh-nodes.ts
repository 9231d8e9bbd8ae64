/**
 * How the head sets its workers up when they are reached over SSH (local hosts, cloud VMs): with the key `up`
 * left in its state folder, pinning each worker's host key in its own known_hosts, and uploading the very
 * runtime it runs from.
 */
import { join } from 'node:path';
import type { CloudNode } from '../../providers/provider.js';
import type { ClusterConfig } from '../config/types.js';
import { localRuntimeDir, readRuntimeManifest } from '../runtime/layout.js';
import { SshPool } from '../updater/ssh.js';
import { workerSetup } from '../updater/ssh-setup.js';

export interface HeadSshOptions {
  config: ClusterConfig;
  stateDir: string;
  token: string;
  headAddress: string;
  /** A node's setup failed for good: shown in status and monitor. */
  report(text: string): void;
}

export function sshNodeSetup(o: HeadSshOptions): { setUp(node: CloudNode): Promise<void>; stop(node: CloudNode): Promise<void>; onSetupFailed(node: CloudNode, e: Error): void } {
  const runtimeDir = localRuntimeDir();
  const manifest = readRuntimeManifest(runtimeDir);
  const pool = new SshPool({ connectTimeoutMs: o.config.raylaunch.node_start_timeout_s * 1000 });
  const setup = workerSetup({
    config: o.config, stateDir: o.stateDir, runners: pool, token: o.token, headAddress: () => o.headAddress,
    runtime: { dir: runtimeDir, version: manifest.version, hash: manifest.hash },
    target: (ip) => ({
      host: ip, user: o.config.auth.ssh_user ?? 'root', privateKeyPath: join(o.stateDir, 'ssh_key'), knownHostsPath: join(o.stateDir, 'known_hosts'),
    }),
  });
  return {
    ...setup,
    // One event line: the message's lines (the command's last output included) joined, and where the full log is.
    onSetupFailed: (node, e) => o.report(`setting up ${node.id} failed: ${e.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' | ').slice(0, 600)} (log: ${join(o.stateDir, 'logs', `setup-${node.id}.log`)})`),
  };
}
