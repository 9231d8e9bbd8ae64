/**
 * Setting nodes up over SSH (`setUp` and `stop` of a node), as the head's autoscaler does for its workers. One
 * pooled connection per host; each node's setup output goes to its own log, never a secret in it.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CloudNode } from '../../../providers/provider.js';
import type { ClusterConfig } from '../../config/types.js';
import type { LocalRuntime } from '../../runtime/layout.js';
import { runtimeHash } from '../../config/hash.js';
import { localPath } from '../file-sync.js';
import { NodeUpdater, type UpdateStatus } from '../node-updater.js';
import { dropJobFilesCommand, stopDaemonCommand } from '../remote.js';
import type { CommandRunner, SshTarget } from '../runner.js';

export interface RunnerSource {
  runner(target: SshTarget): CommandRunner;
  /** Closes the connection to a node that was terminated. */
  drop?(target: SshTarget): Promise<void>;
}

export interface SshSetupOptions {
  config: ClusterConfig;
  /** raylaunch's folder for this cluster on the machine doing the setup (logs go to its logs/) */
  stateDir: string;
  runners: RunnerSource;
  /** how to log in to a node at an address */
  target(ip: string): SshTarget;
  runtime: LocalRuntime;
  headAddress(): string;
  /** The node credential for a worker being set up: handed to its supervisor on stdin, never written there. */
  credential(nodeId: string): string;
  onStatus?(node: CloudNode, status: UpdateStatus, detail: string): void;
}

/** The login to a node: the provider's host key for it, when it installed one, is pinned before connecting. */
function targetOf(o: SshSetupOptions, node: CloudNode): SshTarget {
  const t = o.target(node.internalIp ?? node.id);
  return node.hostKey ? { ...t, expectedHostKey: node.hostKey } : t;
}

/** Where a node's setup output goes, under the state folder of the machine doing the setup. */
export const setupLogPath = (stateDir: string, nodeId: string) => join(stateDir, 'logs', `setup-${nodeId}.log`);

/** setUp/stop for worker nodes, run where the workers' file mounts already are (the head). */
export function workerSetup(o: SshSetupOptions): { setUp(node: CloudNode, onStatus?: (status: UpdateStatus, detail: string) => void): Promise<void>; stop(node: CloudNode): Promise<void> } {
  const logs = join(o.stateDir, 'logs');
  return {
    async setUp(node, onStatus) {
      const ip = node.internalIp ?? node.id;
      mkdirSync(logs, { recursive: true, mode: 0o700 });
      const log = createWriteStream(setupLogPath(o.stateDir, node.id), { flags: 'a', mode: 0o600 });
      log.on('error', () => undefined); // a full disk loses the setup log, not the head
      const line = (s: string) => log.write(`${new Date().toISOString()} ${s}\n`);
      try {
        await new NodeUpdater({
          runner: o.runners.runner(targetOf(o, node)), config: o.config, node: { id: node.id, kind: node.kind, nodeType: node.nodeType, ip },
          headAddress: o.headAddress(), runtime: o.runtime, runtimeHash: runtimeHash(o.config),
          files: {}, credential: o.credential(node.id),
          // The head holds the mounts at their remote paths (relative ones under its home); workers get them from there.
          mountSource: (remote) => localPath(remote, homedir()),
          onStatus: (s, detail) => { line(`[${s}] ${detail}`); o.onStatus?.(node, s, detail); onStatus?.(s, detail); },
          onOutput: (l) => line(l),
        }).update();
      } finally {
        log.end();
      }
    },
    async stop(node) {
      const target = targetOf(o, node);
      try {
        // A host handed back to the pool keeps no job's code or working folder (its logs stay).
        const r = await o.runners.runner(target).run(`${stopDaemonCommand(o.config.cluster_name)}\n${dropJobFilesCommand(o.config.cluster_name)}`);
        if (r.code !== 0) throw new Error(`stopping raylaunch on ${node.id} failed (exit ${r.code}): ${r.stderr.trim()}`);
      } finally {
        await o.runners.drop?.(target);
      }
    },
  };
}
