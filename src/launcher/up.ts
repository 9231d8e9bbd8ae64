import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headFile } from '../common/node-args.js';
import { configChanges, formatLiveChange, type LiveChange } from '../config/changes.js';
import type { ClusterConfig } from '../config/types.js';
import type { ClusterStatus } from '../protocol/messages.js';
import { clusterDir } from '../common/paths.js';
import { configPath, ensureClusterDir, ensureToken, readClusterConfig, readHeadInfo, rememberCluster, writePrivate } from './cluster-state.js';
import { down } from './down.js';
import { type RunningWork, runningWork } from './running-work.js';
import { ClusterStartError } from './errors.js';
import { cliProvider } from './nodes.js';
import { Session } from './session.js';
import { isSshProvider } from './ssh-head.js';
import { upSshHead } from './ssh-up.js';

export interface UpOptions {
  waitForWorkers: boolean;
  /** --force-setup: sync and run setup again on nodes reached over SSH, even when nothing changed. */
  forceSetup?: boolean;
  /** --restart-only: restart raylaunch on the head without sync or setup. */
  restartOnly?: boolean;
  /** A node's update step (nodes reached over SSH). */
  nodeStatus?(node: string, status: string, detail: string): void;
  /** Progress lines for a person (stderr); the result is returned. */
  progress(line: string): void;
  /**
   * The config changed in a way the running head cannot take live: resolves when the restart may go ahead (the
   * user said yes, or -y), throws otherwise. `changed` names the settings; `work` is what the restart ends.
   */
  confirmRestart(changed: string[], work: RunningWork): Promise<void>;
}

export interface UpResult {
  cluster_name: string;
  provider: string;
  head_address: string;
  head_node_id: string;
  /** true when the cluster was already running with this config and nothing was started or changed. */
  unchanged: boolean;
  /** Settings the running head took without a restart (the autoscaler's: max_workers, idle_timeout_minutes, …). */
  applied_live: LiveChange[];
  nodes: { node_id: string; node_type: string; kind: 'head' | 'worker'; state: string; resources: Record<string, number> }[];
  state_dir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a cluster (or finds it running): the head through the provider, then waits until it answers and every
 * node type's min_workers have registered. A running cluster with a different config is restarted.
 */
export async function up(config: ClusterConfig, o: UpOptions): Promise<UpResult> {
  if (isSshProvider(config)) return upOverSsh(config, o);
  const name = config.cluster_name;
  const dir = ensureClusterDir(name);
  const provider = await cliProvider(config, dir);
  const running = (await provider.listNodes()).filter((n) => n.kind === 'head' && n.status === 'running');
  const previous = readClusterConfig(dir);
  const changes = running.length > 0 && previous ? configChanges(previous, config) : undefined;
  let started = true;
  if (changes && changes.restart.length === 0) {
    if (changes.live.length === 0) o.progress(`cluster ${name} is already up with this config`);
    started = false;
  } else {
    if (changes) await o.confirmRestart(changes.restart, await runningWork(name));
    if (running.length > 0 || existsSync(headFile(dir))) {
      o.progress(running.length > 0 ? `cluster ${name} is running with another config (${changes?.restart.join(', ')}): restarting it` : `cleaning up after the previous run of ${name}`);
      await down(name, { keepJobs: true });
      ensureClusterDir(name);
    }
    ensureToken(dir);
    writePrivate(configPath(dir), JSON.stringify(config, null, 2));
    o.progress(`starting the head of cluster ${name} (${config.head_node_type})`);
    await provider.launch({ requestId: `head-${randomBytes(4).toString('hex')}`, nodeType: config.head_node_type, kind: 'head', count: 1 });
    await waitForHead(dir, async () => (await provider.listNodes()).find((n) => n.kind === 'head'));
  }
  rememberCluster(name);
  return finish(config, dir, started, o);
}

async function upOverSsh(config: ClusterConfig, o: UpOptions): Promise<UpResult> {
  const previous = readClusterConfig(clusterDir(config.cluster_name));
  const changed = previous ? configChanges(previous, config).restart : [];
  // The head restarts for these (the updater sees its config hash change): what runs there would end.
  if (changed.length > 0 && readHeadInfo(clusterDir(config.cluster_name))) await o.confirmRestart(changed, await runningWork(config.cluster_name));
  o.progress(`updating the head of cluster ${config.cluster_name} (${config.head_node_type})`);
  const r = await upSshHead(config, {
    forceSetup: !!o.forceSetup, restartOnly: !!o.restartOnly,
    onStatus: (node, s, detail) => (o.nodeStatus ? o.nodeStatus(node, s, detail) : o.progress(`${node}: ${s}: ${detail}`)),
  });
  rememberCluster(config.cluster_name);
  return finish(config, r.dir, r.update.steps.start, o);
}

/**
 * Waits for the cluster and hands the head the settings it takes live. `started`: the head was (re)started with
 * this config, so there is nothing to hand over.
 */
async function finish(config: ClusterConfig, dir: string, started: boolean, o: UpOptions): Promise<UpResult> {
  const name = config.cluster_name;
  const session = await Session.open(name);
  try {
    const applied = started ? [] : await session.updateConfig(config);
    for (const c of applied) o.progress(`applied to the running cluster without a restart: ${formatLiveChange(c)}`);
    let status = await session.status();
    if (o.waitForWorkers) status = await waitForWorkers(session, status, config, dir, o);
    const head = status.nodes.find((n) => n.kind === 'head');
    return {
      cluster_name: name, provider: config.provider.type, head_address: session.address, head_node_id: head?.nodeId ?? '',
      unchanged: !started && applied.length === 0, applied_live: applied,
      nodes: status.nodes.filter((n) => n.state !== 'DEAD').map((n) => ({ node_id: n.nodeId, node_type: n.nodeType, kind: n.kind, state: n.state, resources: n.total })),
      state_dir: dir,
    };
  } finally {
    await session.close();
  }
}

async function waitForHead(dir: string, findHead: () => Promise<{ id: string } | undefined>): Promise<void> {
  const deadline = Date.now() + 30_000;
  let headId: string | undefined;
  for (;;) {
    const head = await findHead();
    headId ??= head?.id;
    if (head && readHeadInfo(dir)?.nodeId === head.id) return;
    const log = join(dir, 'logs', `${headId ?? 'head'}.log`);
    if (!head) throw new ClusterStartError(`the head exited while starting${logTail(log)}`, { hint: `its full log is ${log}` });
    if (Date.now() > deadline) {
      throw new ClusterStartError('the head did not start listening within 30 s', { hint: `see its log ${log}; clean up with raylaunch down` });
    }
    await sleep(30);
  }
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

async function waitForWorkers(session: Session, first: ClusterStatus, config: ClusterConfig, dir: string, o: UpOptions): Promise<ClusterStatus> {
  const want = Object.entries(config.available_node_types).map(([type, t]) => ({ type, count: Math.min(t.min_workers, t.max_workers) })).filter((w) => w.count > 0);
  const total = want.reduce((n, w) => n + w.count, 0);
  if (total > 0) o.progress(`waiting for ${total} min_workers ${total === 1 ? 'node' : 'nodes'} to register`);
  const deadline = Date.now() + config.raylaunch.node_start_timeout_s * 1000;
  // Only failures after this `up` began count.
  const seen = Math.max(-1, ...(first.autoscaler?.events ?? []).map((e) => e.seq));
  for (;;) {
    const status = await session.status();
    // A node whose setup failed for good (after its retries) fails `up` now, with the reason, rather than at the timeout.
    const failed = status.autoscaler?.events.find((e) => e.kind === 'error' && e.seq > seen && /^setting up /.test(e.message));
    if (failed) {
      throw new ClusterStartError(`a min_workers node could not be set up: ${failed.message}`, {
        hint: 'the head keeps trying other hosts (raylaunch monitor follows it); fix the cause and run raylaunch up again',
      });
    }
    const alive = new Set(status.nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE').map((n) => n.nodeId));
    // The launching list is the autoscaler's last look at the provider: it may lag a registration.
    for (const l of status.autoscaler?.launching ?? []) if (!alive.has(l.nodeId)) o.nodeStatus?.(l.nodeId, l.status, l.nodeType);
    for (const n of status.nodes) if (alive.has(n.nodeId)) o.nodeStatus?.(n.nodeId, 'registered', n.nodeType);
    const missing = want.filter((w) => status.nodes.filter((n) => n.nodeType === w.type && n.kind === 'worker' && n.state === 'ALIVE').length < w.count);
    if (missing.length === 0) return status;
    if (Date.now() > deadline) {
      throw new ClusterStartError(`min_workers nodes did not register within node_start_timeout_s (${config.raylaunch.node_start_timeout_s} s): missing ${missing.map((m) => m.type).join(', ')}`, {
        hint: `see the node logs in ${join(dir, 'logs')}`,
      });
    }
    await sleep(50);
  }
}

