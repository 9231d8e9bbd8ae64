/**
 * `down` for clusters reached over SSH: the head's service first (so its autoscaler launches nothing more),
 * then every worker host it had handed out — or, when the head cannot be reached, every host of the pool, since
 * any of them may run a worker. Each host reached forgets the cluster's secrets; host key pins are kept.
 */
import { providerKind } from '../../providers/index.js';
import type { ClusterConfig } from '../config/types.js';
import { forgetCommand, remoteStateDir, stopDaemonCommand } from '../updater/remote.js';
import type { CommandRunner } from '../updater/runner.js';
import { SshPool } from '../updater/ssh/pool.js';
import { cliProvider } from './nodes.js';
import { readSshHead, type SshHead, sshHeadTarget } from './ssh-head.js';
import { copyJobLogs } from './job-logs.js';
import { reachWorkers } from './worker-pins.js';

export interface SshDownResult {
  /** hosts where raylaunch was running and was stopped */
  stopped: string[];
  /** hosts that could not be reached, with why (their processes, if any, are still there) */
  unreachable: { host: string; reason: string }[];
  /** false when the head could not be reached: it may still run, so the cluster must not be forgotten here */
  headStopped: boolean;
  /** where the jobs' logs were copied on this machine; unset when the head had no jobs */
  jobLogs?: string;
}

const firstLine = (e: unknown) => (e as Error).message.split('\n')[0] ?? '';

/** Stops raylaunch on a worker and removes its secrets and the jobs' files; true when a daemon was running. */
async function stopAndForget(runner: CommandRunner, cluster: string): Promise<boolean> {
  const r = await runner.run(`${stopDaemonCommand(cluster)}\n${forgetCommand(cluster, { jobs: true })}`);
  return r.stdout.includes('stopped');
}

/**
 * The head: stopped, its pool read, the jobs' logs copied here, then its secrets and the jobs' folders removed.
 * Logs that cannot be copied leave the jobs' folders on the head, and the head is reported for another `down`.
 */
async function stopHead(runner: CommandRunner, head: SshHead, cluster: string, dir: string, result: SshDownResult, readPool: () => Promise<string[]>): Promise<string[]> {
  if ((await runner.run(stopDaemonCommand(cluster))).stdout.includes('stopped')) result.stopped.push(head.internalIp);
  result.headStopped = true;
  const workers = await readPool();
  let copied = false;
  try {
    const logs = await copyJobLogs(runner, cluster, dir);
    if (logs) result.jobLogs = logs;
    copied = true;
  } catch (e) {
    result.unreachable.push({ host: head.host, reason: `the jobs' logs could not be copied here (${firstLine(e)}); the jobs are kept on the head` });
  }
  await runner.run(forgetCommand(cluster, { jobs: copied }));
  return workers;
}

/** The worker hosts in the head's pool file; a damaged file lists none (the caller then tries every host). */
async function poolWorkers(head: CommandRunner, cluster: string, file: string): Promise<string[] | undefined> {
  const r = await head.run(`cat ${remoteStateDir(cluster)}/${file} 2>/dev/null || echo '{}'`);
  try {
    return Object.entries(JSON.parse(r.stdout) as Record<string, { kind?: string }>).filter(([, e]) => e.kind === 'worker').map(([ip]) => ip);
  } catch {
    return undefined;
  }
}

/** The head as `up` left it; else as the provider lists it. */
async function findHead(config: ClusterConfig, dir: string): Promise<SshHead | undefined> {
  const saved = readSshHead(dir);
  if (saved) return saved;
  const listed = (await (await cliProvider(config, dir)).listNodes()).find((n) => n.kind === 'head' && n.status !== 'stopped');
  return listed && sshHeadTarget(config, dir, listed);
}

export async function downOverSsh(config: ClusterConfig, dir: string): Promise<SshDownResult> {
  const cluster = config.cluster_name;
  const head = await findHead(config, dir);
  const result: SshDownResult = { stopped: [], unreachable: [], headStopped: false };
  if (!head) return { ...result, headStopped: true }; // no head was ever started
  const pool = new SshPool({ connectTimeoutMs: 10_000 });
  const hostPool = providerKind(config.provider.type).hostPool?.(config);
  const allWorkers = hostPool?.workers ?? [];
  try {
    const headRunner = pool.runner(head);
    let workers: string[] | undefined;
    try {
      workers = await stopHead(headRunner, head, cluster, dir, result, async () => (hostPool ? ((await poolWorkers(headRunner, cluster, hostPool.stateFile)) ?? allWorkers) : []));
    } catch (e) {
      result.unreachable.push({ host: head.host, reason: firstLine(e) });
    }
    // What the head listed is checked, and reached with pins the head cannot change (worker-pins.ts); what is not
    // an address at all runs no raylaunch to stop.
    const reach = await reachWorkers({
      head, cluster, dir, configHosts: allWorkers, listed: workers ?? allWorkers, ...(workers === undefined ? {} : { headRunner }),
    });
    await Promise.all(reach.targets.map(async (t) => {
      try {
        if (await stopAndForget(pool.runner(t), cluster)) result.stopped.push(t.host);
      } catch (e) {
        result.unreachable.push({ host: t.host, reason: firstLine(e) });
      }
    }));
    // The pool file goes only once every worker was reached: the next `down` reads it to find the rest.
    if (hostPool && result.headStopped && result.unreachable.length === 0) await headRunner.run(`rm -f ${remoteStateDir(cluster)}/${hostPool.stateFile}`).catch(() => undefined);
    return result;
  } finally {
    await pool.close();
  }
}
