/**
 * How the head sets its workers up when they are reached over SSH (local hosts, cloud VMs): with the key `up`
 * left in its state folder, pinning each worker's host key in its own known_hosts, and uploading the very
 * runtime it runs from.
 */
import { join } from 'node:path';
import type { ClusterConfig } from '../config/types.js';
import { localRuntime } from '../runtime/layout.js';
import { SshPool } from '../updater/ssh/pool.js';
import { setupLogPath, workerSetup } from '../updater/ssh/setup.js';
import type { NodeSetup } from './autoscaler/node-setup.js';

export interface HeadSshOptions {
  config: ClusterConfig;
  stateDir: string;
  /** Mints (and admits) the node credential of a worker being set up. */
  credential(nodeId: string): string;
  headAddress: string;
}

export function sshNodeSetup(o: HeadSshOptions): NodeSetup {
  const pool = new SshPool({ connectTimeoutMs: o.config.raylaunch.node_start_timeout_s * 1000 });
  const setup = workerSetup({
    config: o.config, stateDir: o.stateDir, runners: pool, credential: o.credential, headAddress: () => o.headAddress,
    runtime: localRuntime(),
    target: (ip) => ({
      host: ip, user: o.config.auth.ssh_user ?? 'root', privateKeyPath: join(o.stateDir, 'ssh_key'), knownHostsPath: join(o.stateDir, 'known_hosts'),
    }),
  });
  return {
    setUp: (node, onStep) => setup.setUp(node, (step) => onStep(step)),
    stop: (node) => setup.stop(node),
    logOf: (node) => setupLogPath(o.stateDir, node.id),
  };
}
