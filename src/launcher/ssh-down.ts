/**
 * `down` for clusters reached over SSH: the head's service first (so its autoscaler launches nothing more),
 * then every worker host it had handed out — or, when the head cannot be reached, every host of the pool, since
 * any of them may run a worker. Each host reached forgets the cluster's secrets; host key pins are kept.
 */
import type { ClusterConfig } from '../config/types.js';
import { forgetCommand, remoteStateDir, stopDaemonCommand } from '../updater/remote.js';
import type { CommandRunner } from '../updater/runner.js';
import { SshPool } from '../updater/ssh.js';
import { localHeadTarget, readSshHead, type SshHead, workerTarget } from './ssh-head.js';
import { pinWorkersFromHead } from './worker-pins.js';

export interface SshDownResult {
  /** hosts where raylaunch was running and was stopped */
  stopped: string[];
  /** hosts that could not be reached, with why (their processes, if any, are still there) */
  unreachable: { host: string; reason: string }[];
  /** false when the head could not be reached: it may still run, so the cluster must not be forgotten here */
  headStopped: boolean;
}

const firstLine = (e: unknown) => (e as Error).message.split('\n')[0] ?? '';

/** Stops raylaunch on a node and removes its secrets; true when a daemon was running. */
async function stopAndForget(runner: CommandRunner, cluster: string): Promise<boolean> {
  const r = await runner.run(`${stopDaemonCommand(cluster)}\n${forgetCommand(cluster)}`);
  return r.stdout.includes('stopped');
}

/** The worker hosts in the head's pool file; a damaged file lists none (the caller then tries every host). */
async function poolWorkers(head: CommandRunner, cluster: string): Promise<string[] | undefined> {
  const r = await head.run(`cat ${remoteStateDir(cluster)}/local-pool.json 2>/dev/null || echo '{}'`);
  try {
    return Object.entries(JSON.parse(r.stdout) as Record<string, { kind?: string }>).filter(([, e]) => e.kind === 'worker').map(([ip]) => ip);
  } catch {
    return undefined;
  }
}

export async function downOverSsh(config: ClusterConfig, dir: string): Promise<SshDownResult> {
  const cluster = config.cluster_name;
  const head: SshHead = readSshHead(dir) ?? localHeadTarget(config, dir);
  const pool = new SshPool({ connectTimeoutMs: 10_000 });
  const result: SshDownResult = { stopped: [], unreachable: [], headStopped: false };
  const allWorkers = config.provider.type === 'local' ? config.provider.worker_ips : [];
  try {
    const headRunner = pool.runner(head);
    let workers: string[] | undefined;
    try {
      if (await stopAndForget(headRunner, cluster)) result.stopped.push(head.internalIp);
      result.headStopped = true;
      workers = (await poolWorkers(headRunner, cluster)) ?? allWorkers;
    } catch (e) {
      result.unreachable.push({ host: head.host, reason: firstLine(e) });
    }
    // Without the head's pins the workers are refused below and reported, never trusted blindly.
    if (workers !== undefined) await pinWorkersFromHead(headRunner, head, cluster, workers).catch(() => undefined);
    await Promise.all((workers ?? allWorkers).map(async (ip) => {
      try {
        if (await stopAndForget(pool.runner(workerTarget(head, ip)), cluster)) result.stopped.push(ip);
      } catch (e) {
        result.unreachable.push({ host: ip, reason: firstLine(e) });
      }
    }));
    // The pool file goes only once every worker was reached: the next `down` reads it to find the rest.
    if (result.headStopped && result.unreachable.length === 0) await headRunner.run(`rm -f ${remoteStateDir(cluster)}/local-pool.json`).catch(() => undefined);
    return result;
  } finally {
    await pool.close();
  }
}
