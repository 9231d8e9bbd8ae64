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

export async function downOverSsh(config: ClusterConfig, dir: string, o: { workersOnly?: boolean } = {}): Promise<SshDownResult> {
  const cluster = config.cluster_name;
  const head: SshHead = readSshHead(dir) ?? localHeadTarget(config, dir);
  const pool = new SshPool({ connectTimeoutMs: 10_000 });
  const result: SshDownResult = { stopped: [], unreachable: [] };
  const d = remoteStateDir(cluster);
  try {
    const headRunner = pool.runner(head);
    let workers: string[] | undefined;
    try {
      if (!o.workersOnly && await stop(headRunner, cluster)) result.stopped.push(head.internalIp);
      const r = await headRunner.run(`cat ${d}/local-pool.json 2>/dev/null || echo '{}'`);
      workers = Object.entries(JSON.parse(r.stdout) as Record<string, { kind: string }>).filter(([, e]) => e.kind === 'worker').map(([ip]) => ip);
    } catch (e) {
      result.unreachable.push({ host: head.host, reason: (e as Error).message.split('\n')[0] ?? '' });
    }
    const all = config.provider.type === 'local' ? config.provider.worker_ips : [];
    await Promise.all((workers ?? all).map(async (ip) => {
      try {
        if (await stop(pool.runner({ host: ip, user: head.user, privateKeyPath: head.privateKeyPath, knownHostsPath: head.knownHostsPath }), cluster)) result.stopped.push(ip);
      } catch (e) {
        result.unreachable.push({ host: ip, reason: (e as Error).message.split('\n')[0] ?? '' });
      }
    }));
    if (workers !== undefined) await headRunner.run(o.workersOnly ? 'true' : `rm -f ${d}/local-pool.json ${d}/head.json`).catch(() => undefined);
    return result;
  } finally {
    await pool.close();
  }
}
