/**
 * `up`'s steps for a head reached over SSH (local hosts, cloud VMs): the node updater brings it up to date in
 * place (probe, sync, setup, start — or nothing when it is up to date), then `up` waits for its control plane;
 * its autoscaler brings min_workers up in parallel. The control plane is reached only through an SSH tunnel.
 */
import { readFileSync } from 'node:fs';
import { headFile, type HeadInfo } from '../common/node-args.js';
import type { ClusterConfig } from '../config/types.js';
import { runtimeHash } from '../config/hash.js';
import { localRuntime } from '../runtime/layout.js';
import { localPath } from '../updater/file-sync.js';
import { NodeUpdater, type UpdateStatus } from '../updater/node-updater.js';
import { headInfoCommand } from '../updater/remote.js';
import type { CommandRunner } from '../updater/runner.js';
import { SshPool } from '../updater/ssh/pool.js';
import { operatorDigest, readClusterConfig, readHeadInfo, writePrivate } from './cluster-state.js';
import { ClusterStartError } from './errors.js';
import type { HeadSteps } from './head-steps.js';
import { headNodeId, readSshHead, saveSshHead, type SshHead, sshHeadTarget, sshKeyPath } from './ssh-head.js';
import { pollUntil } from '../common/wait.js';

export interface SshUpOptions {
  forceSetup: boolean;
  restartOnly: boolean;
  onStatus(node: string, status: UpdateStatus | 'stopping', detail: string): void;
}


export function sshHeadSteps(config: ClusterConfig, dir: string, o: SshUpOptions): HeadSteps {
  const key = readKey(config);
  return {
    // worker_user is checked on each host, by its agent (the folders that matter are there, not here).
    preflight: () => undefined,
    running: () => readHeadInfo(dir) !== undefined,
    keeps: () => false, // the updater finds out on the node whether anything needs doing
    takeDownFirst: (listed) => {
      const before = readSshHead(dir);
      const head = listed && sshHeadTarget(config, dir, listed);
      if (!before || !head || !readClusterConfig(dir)) return false;
      if (before.host === head.host && before.user === head.user && before.internalIp === head.internalIp) return false;
      // The head moved: the old one would run on unseen, holding its workers.
      o.onStatus(before.internalIp, 'stopping', `the head moved to ${head.host}: stopping the cluster on ${before.host} first`);
      return true;
    },
    announce: `updating the head of cluster ${config.cluster_name} (${config.head_node_type})`,
    update: async (node, credential) => {
      if (!node) throw new ClusterStartError(`the provider lists no head node for cluster ${config.cluster_name}`, { hint: 'run raylaunch up again; raylaunch down cleans up what was started' });
      const head = sshHeadTarget(config, dir, node);
      // Known here before the head is touched: an `up` that fails half-way can still be taken down, or attached to.
      saveSshHead(dir, head);
      const r = await updateHead(config, head, { ...o, credential, key });
      writePrivate(headFile(dir), JSON.stringify(r.info));
      return r.started;
    },
  };
}

/** Runs the node updater on the head and waits for its head.json. */
async function updateHead(config: ClusterConfig, head: SshHead, o: SshUpOptions & { credential: string; key: string }): Promise<{ info: HeadInfo; started: boolean }> {
  const pool = new SshPool({
    connectTimeoutMs: config.raylaunch.node_start_timeout_s * 1000,
    onWait: (reason) => o.onStatus(head.internalIp, 'waiting-for-ssh', `${head.user}@${head.host}: ${reason}; retrying`),
  });
  try {
    const runner = pool.runner(head);
    const update = await new NodeUpdater({
      runner, config, node: { id: headNodeId(head), kind: 'head', nodeType: config.head_node_type, ip: head.internalIp }, headAddress: '',
      runtime: localRuntime(), runtimeHash: runtimeHash(config),
      // The head reaches workers with the same key this machine uses for the head (never logged, 0600 there).
      // Of the operator's credential, only its digest goes: whoever reads the head's files cannot act as the operator.
      files: { 'operator.sha256': operatorDigest(o.credential), ssh_key: o.key },
      mountSource: (_remote, local) => localPath(local),
      forceSetup: o.forceSetup, restartOnly: o.restartOnly,
      onStatus: (s, detail) => o.onStatus(head.internalIp, s, detail),
    }).update();
    const info = await waitForHeadFile(runner, config, head, config.raylaunch.node_start_timeout_s * 1000);
    return { info, started: update.steps.start };
  } finally {
    await pool.close();
  }
}

/** The private key the head will use for workers; a missing one is the config's mistake, named as such. */
function readKey(config: ClusterConfig): string {
  const path = sshKeyPath(config);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ClusterStartError(`auth.ssh_private_key: cannot read the key file ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      hint: 'set auth.ssh_private_key to the private key whose public half is in authorized_keys on every host',
    });
  }
}

/** head.json on the head, written once the control plane listens (the start removed any older one). */
async function waitForHeadFile(runner: CommandRunner, config: ClusterConfig, head: SshHead, timeoutMs: number): Promise<HeadInfo> {
  const limitMs = Math.min(timeoutMs, 60_000);
  let last = '';
  const info = await pollUntil(async () => {
    const r = await runner.run(headInfoCommand(config.cluster_name, headNodeId(head)));
    last = r.stdout;
    return r.code === 0 ? JSON.parse(r.stdout) as HeadInfo : undefined;
  }, { timeoutMs: limitMs, every: (i) => Math.min(50 * 2 ** i, 500) });
  if (info) return info;
  throw new ClusterStartError(`the head on ${head.host} did not start listening within ${Math.round(limitMs / 1000)} s; the end of its log:\n${last.trim().split('\n').map((l) => `    ${l}`).join('\n')}`, {
    hint: `see ~/.raylaunch/clusters/${config.cluster_name}/logs/ on the head (raylaunch attach opens a shell there)`,
  });
}
