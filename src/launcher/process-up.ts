/**
 * `up`'s steps for a head that is a process on this machine (the process provider). Its node runs the runtime of
 * this installation, so there is nothing to update in place: a head whose config changed is replaced by a new
 * one, and "updating" it is waiting until it listens.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeProvider } from '../../providers/provider.js';
import { headFile } from '../common/node-args.js';
import type { ConfigChanges } from '../config/changes.js';
import type { ClusterConfig } from '../config/types.js';
import { readHeadInfo } from './cluster-state.js';
import { ClusterStartError } from './errors.js';
import type { HeadSteps } from './head-steps.js';
import { pollUntil } from '../common/wait.js';
import { checkWorkerUserReach } from './worker-user-reach.js';


export function processHeadSteps(config: ClusterConfig, dir: string, provider: NodeProvider, progress: (line: string) => void): HeadSteps {
  const name = config.cluster_name;
  return {
    preflight: () => {
      if (config.raylaunch.worker_user !== undefined) checkWorkerUserReach(config.raylaunch.worker_user, dir);
    },
    running: (listed) => listed?.status === 'running',
    keeps: (changes) => changes !== undefined && changes.restart.length === 0,
    takeDownFirst: (listed, changes: ConfigChanges | undefined) => {
      const running = listed?.status === 'running';
      if (!running && !existsSync(headFile(dir))) return false;
      progress(running ? `cluster ${name} is running with another config (${changes?.restart.join(', ')}): restarting it` : `cleaning up after the previous run of ${name}`);
      return true;
    },
    announce: `starting the head of cluster ${name} (${config.head_node_type})`,
    update: async () => {
      await waitForHead(dir, async () => (await provider.listNodes()).find((n) => n.kind === 'head'));
      return true;
    },
  };
}

/** Waits until the head process wrote its head.json; fails with the end of its log when it exited. */
async function waitForHead(dir: string, findHead: () => Promise<{ id: string } | undefined>): Promise<void> {
  let headId: string | undefined;
  const log = () => join(dir, 'logs', `${headId ?? 'head'}.log`);
  const listening = await pollUntil(async () => {
    const head = await findHead();
    headId ??= head?.id;
    if (!head) throw new ClusterStartError(`the head exited while starting${logTail(log())}`, { hint: `its full log is ${log()}` });
    return readHeadInfo(dir)?.nodeId === head.id ? true : undefined;
  }, { timeoutMs: 30_000, every: 30 });
  if (!listening) throw new ClusterStartError('the head did not start listening within 30 s', { hint: `see its log ${log()}; clean up with raylaunch down` });
}

/** The last lines of a log, indented, for an error message. */
function logTail(file: string, lines = 20): string {
  try {
    const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
    return tail.length > 0 ? `; the end of its log:\n${tail.map((l) => `    ${l}`).join('\n')}` : '';
  } catch {
    return '';
  }
}
