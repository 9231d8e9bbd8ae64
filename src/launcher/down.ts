import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { moveLogsAside } from '../../providers/process/index.js';
import { controlPortFile, headFile } from '../common/node-args.js';
import { clusterDir } from '../common/paths.js';
import { configPath, operatorCredentialPath, readClusterConfig } from './cluster-state.js';
import { providerKind } from '../../providers/index.js';
import { terminateCloudNodes } from './cloud-down.js';
import { cliProvider, reachedOverSsh } from './nodes.js';
import { downOverSsh } from './ssh-down.js';
import { type RunningWork, runningWork } from './running-work.js';
import { Session } from './session.js';
import { HeadConnectionError } from './errors.js';
import { sshHeadFile } from './ssh-head.js';

export interface DownResult {
  cluster_name: string;
  existed: boolean;
  terminated: string[];
  /** Hosts that could not be reached (nodes reached over SSH): raylaunch may still run there. */
  unreachable: { host: string; reason: string }[];
  /** Jobs that were running and were stopped with the cluster. */
  jobs_stopped: string[];
  logs: string | null;
}

/**
 * Terminates every node of a cluster (head last is not needed: the provider ends each process group), keeps
 * the last run's logs, and forgets the operator's credential. Idempotent: a cluster that does not exist is fine, and one whose
 * head crashed is cleaned up from the provider's own records.
 */
const hasNodeRecords = (dir: string) => existsSync(join(dir, 'nodes')) && readdirSync(join(dir, 'nodes')).length > 0;

/**
 * `down --workers-only [--keep-min-workers]`: the head stays; its autoscaler drains and terminates the workers
 * (so it never races a launch of its own), keeping each type's min_workers when asked.
 */
export async function downWorkers(clusterName: string, keepMinWorkers: boolean): Promise<DownResult> {
  const session = await Session.open(clusterName);
  try {
    const terminated = await session.downWorkers(keepMinWorkers);
    return { cluster_name: clusterName, existed: true, terminated, unreachable: [], logs: null, jobs_stopped: [] };
  } finally {
    await session.close();
  }
}

/**
 * `keepJobs`: the cluster is being restarted (`up` with a changed config), so its jobs stay listed and their logs
 * readable on the new head; a plain `down` moves them aside (jobs-last-run), like the logs.
 */
export async function down(clusterName: string, o: { keepJobs?: boolean; work?: RunningWork; progress?(line: string): void } = {}): Promise<DownResult> {
  const dir = clusterDir(clusterName);
  if (!existsSync(dir)) return { cluster_name: clusterName, existed: false, terminated: [], unreachable: [], logs: null, jobs_stopped: [] };
  const config = readClusterConfig(dir);
  if (!config && !hasNodeRecords(dir)) return { cluster_name: clusterName, existed: false, terminated: [], unreachable: [], logs: null, jobs_stopped: [] };
  const terminated: string[] = [];
  // Asked before anything stops: the head stops its jobs as it goes.
  const jobsStopped = existsSync(headFile(dir)) ? (o.work ?? (await runningWork(clusterName))).jobs : [];
  if (config && reachedOverSsh(config)) {
    const r = await downOverSsh(config, dir);
    const cloud = !providerKind(config.provider.type).hostPool;
    if (cloud) {
      // A cloud head that cannot be reached is terminated all the same: its instance is the cluster.
      r.stopped = await terminateCloudNodes(await cliProvider(config, dir), clusterName, o.progress);
      r.headStopped = true;
      // Terminated, nothing runs there any more: only what could not be kept (the jobs' logs) is still reported.
      for (const u of r.unreachable) o.progress?.(`${u.host}: ${u.reason}`);
      r.unreachable = [];
    }
    if (!r.headStopped) {
      // The head may still run: forgetting the operator's credential and the head's address here would leave it unreachable for good.
      const head = r.unreachable[0];
      throw new HeadConnectionError(`cannot reach the head ${head?.host ?? ''} of cluster ${clusterName} to stop it: ${head?.reason ?? ''}${r.stopped.length ? `; stopped on ${r.stopped.join(', ')}` : ''}`, {
        hint: `the cluster is kept on this machine: run raylaunch down -c ${clusterName} again once the head can be reached (if that host is gone for good, delete ${dir})`,
      });
    }
    // With hosts left unreached, the cluster stays known here so that `down` can be run again for them.
    if (r.unreachable.length === 0) for (const f of [headFile(dir), configPath(dir), operatorCredentialPath(clusterName), sshHeadFile(dir)]) rmSync(f, { force: true });
    // The nodes' logs stay on each host (~/.raylaunch/clusters/<name>/logs), where the next run appends to them;
    // the jobs' logs came here (jobs-last-run), and their code and working folders are gone from the hosts.
    return { cluster_name: clusterName, existed: true, terminated: r.stopped, unreachable: r.unreachable, logs: r.jobLogs ?? null, jobs_stopped: jobsStopped };
  }
  if (config) {
    const provider = await cliProvider(config, dir);
    for (let round = 0; round < 3; round++) {
      const ids = (await provider.listNodes()).map((n) => n.id);
      if (ids.length === 0) break;
      await provider.terminate(ids);
      terminated.push(...ids.filter((id) => !terminated.includes(id)));
    }
  }
  await moveLogsAside(dir);
  moveAside(join(dir, 'node-data'), join(dir, 'node-data-last-run'));
  if (!o.keepJobs) moveAside(join(dir, 'jobs'), join(dir, 'jobs-last-run'));
  // The kept control-plane port goes too: the next cluster of this name picks a free one afresh. The operator's
  // credential stays for a restart: its digest tells the next head that the GCS store's jobs are its cluster's.
  for (const f of [headFile(dir), configPath(dir), controlPortFile(dir), ...(o.keepJobs ? [] : [operatorCredentialPath(clusterName)])]) rmSync(f, { force: true });
  return { cluster_name: clusterName, existed: true, terminated, unreachable: [], logs: join(dir, 'logs-last-run'), jobs_stopped: jobsStopped };
}

function moveAside(from: string, to: string): void {
  if (!existsSync(from)) return;
  rmSync(to, { recursive: true, force: true });
  renameSync(from, to);
}
