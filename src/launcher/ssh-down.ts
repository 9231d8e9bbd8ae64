/**
 * `down` for clusters reached over SSH: the head's service first (so its autoscaler cannot launch anything
 * meanwhile), then every worker host it had allocated — or, when the head cannot be reached, every host of the
 * pool, since any of them may run a worker — then the head's pool file. Host key pins are kept.
 */
import type { ClusterConfig } from '../config/types.js';
import { remoteStateDir, stopDaemonCommand } from '../updater/remote.js';
import type { CommandRunner } from '../updater/runner.js';
import { SshPool } from '../updater/ssh.js';
import { localHeadTarget, readSshHead, type SshHead } from './ssh-head.js';
import { pinWorkersFromHead } from './worker-pins.js';

export interface SshDownResult {
  /** hosts where raylaunch was running and was stopped */
  stopped: string[];
  /** hosts that could not be reached, with why (their processes, if any, are still there) */
  unreachable: { host: string; reason: string }[];
}

async function stop(runner: CommandRunner, cluster: string): Promise<boolean> {
  const r = await runner.run(stopDaemonCommand(cluster));
  return r.stdout.includes('stopped');
}

export async function downOverSsh(config: ClusterConfig, dir: string): Promise<SshDownResult> {
  const cluster = config.cluster_name;
  const head: SshHead = readSshHead(dir) ?? localHeadTarget(config, dir);
  const pool = new SshPool({ connectTimeoutMs: 10_000 });
  const result: SshDownResult = { stopped: [], unreachable: [] };
  const d = remoteStateDir(cluster);
  try {
    const headRunner = pool.runner(head);
    const readPool = async () => {
      const r = await headRunner.run(`cat ${d}/local-pool.json 2>/dev/null || echo '{}'`);
      return Object.entries(JSON.parse(r.stdout) as Record<string, { kind: string }>).filter(([, e]) => e.kind === 'worker').map(([ip]) => ip);
    };
    const stopWorkers = (ips: string[]) => Promise.all(ips.map(async (ip) => {
      try {
        if (await stop(pool.runner({ host: ip, user: head.user, privateKeyPath: head.privateKeyPath, knownHostsPath: head.knownHostsPath }), cluster)) result.stopped.push(ip);
      } catch (e) {
        result.unreachable.push({ host: ip, reason: (e as Error).message.split('\n')[0] ?? '' });
      }
    }));
    let workers: string[] | undefined;
    try {
      workers = await readPool();
    } catch (e) {
      result.unreachable.push({ host: head.host, reason: (e as Error).message.split('\n')[0] ?? '' });
    }
    // Workers are reached with the keys the head pinned for them, never trusted on first use from here.
    if (workers !== undefined) await pinWorkersFromHead(headRunner, head, cluster, workers).catch(() => undefined);
    if (workers === undefined) {
      // The head cannot say which hosts it used: any host of the pool may run a worker.
      await stopWorkers(config.provider.type === 'local' ? config.provider.worker_ips : []);
      return result;
    }
    // The head's SIGTERM stops its autoscaler at once, so the workers can be stopped meanwhile; one more
    // look at the pool afterwards catches a launch that was already under way.
    await Promise.all([
      stop(headRunner, cluster).then((stopped) => { if (stopped) result.stopped.push(head.internalIp); }),
      stopWorkers(workers),
    ]);
    const late = (await readPool().catch(() => [])).filter((ip) => !workers.includes(ip));
    if (late.length > 0) {
      await pinWorkersFromHead(headRunner, head, cluster, late).catch(() => undefined);
      await stopWorkers(late);
    }
    await headRunner.run(`rm -f ${d}/local-pool.json ${d}/head.json`).catch(() => undefined);
    return result;
  } finally {
    await pool.close();
  }
}
