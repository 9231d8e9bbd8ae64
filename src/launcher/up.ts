import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { providerKind } from '../../providers/index.js';
import { type CloudNode, type NodeProvider, preparesCluster } from '../../providers/provider.js';
import { configChanges, formatLiveChange, type LiveChange } from '../config/changes.js';
import { nodeConfig } from '../config/node-config.js';
import type { ClusterConfig } from '../config/types.js';
import type { ClusterStatus } from '../protocol/messages.js';
import { configPath, ensureClusterDir, ensureOperatorCredential, writeOperatorDigest, readClusterConfig, rememberCluster, writePrivate } from './cluster-state.js';
import { down } from './down.js';
import { type RunningWork, runningWork } from './running-work.js';
import { ClusterStartError } from './errors.js';
import { cliProvider } from './nodes.js';
import { processHeadSteps } from './process-up.js';
import { Session } from './session.js';
import { sshHeadSteps } from './ssh-up.js';
import { pollUntil } from '../common/wait.js';

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


/** The cluster's head as its provider lists it (not one that is stopping or stopped). */
async function listedHead(provider: NodeProvider): Promise<CloudNode | undefined> {
  return (await provider.listNodes()).find((n) => n.kind === 'head' && (n.status === 'running' || n.status === 'pending'));
}

/**
 * Starts a cluster (or finds it running), the same way for every provider: launch the head through the provider
 * (or find it listed), take its address from the provider's listing, update it (over SSH with the node updater,
 * or nothing for a process on this machine), wait until it answers, then hand it the settings it takes live
 * and wait for every node type's min_workers. A running cluster with a changed config is restarted, once the
 * user said yes.
 */
export async function up(given: ClusterConfig, o: UpOptions): Promise<UpResult> {
  const name = given.cluster_name;
  // On the process provider this folder is every node's state folder: worker_user's processes pass through it.
  const passable = !providerKind(given.provider.type).reachedOverSsh && given.raylaunch.worker_user !== undefined;
  const dir = ensureClusterDir(name, { passable });
  const provider = await cliProvider(given, dir);
  // A cloud's prepare() resolves what the nodes launch with (key, subnets, image, role): from here on, that config.
  const config = preparesCluster(provider) ? await provider.prepare(given, o.progress) : given;
  const settled = async () => { if (preparesCluster(provider)) await provider.settled?.(); };
  const steps = providerKind(config.provider.type).reachedOverSsh
    ? sshHeadSteps(config, dir, {
      forceSetup: !!o.forceSetup, restartOnly: !!o.restartOnly,
      onStatus: (node, s, detail) => (o.nodeStatus ? o.nodeStatus(node, s, detail) : o.progress(`${node}: ${s}: ${detail}`)),
    })
    : processHeadSteps(config, dir, provider, o.progress);
  // Before anything is launched or torn down (clouds only prepare what they need; the process provider checks here).
  steps.preflight();
  // What runs now, and what this config changes: a restart ends the running work, so it is confirmed first.
  let head = await listedHead(provider);
  const previous = readClusterConfig(dir);
  // What this machine keeps of the config, and what the head runs with, is what nodes get (no cloud credentials).
  const changes = steps.running(head) && previous ? configChanges(previous, nodeConfig(config)) : undefined;
  if (changes && changes.restart.length > 0) await o.confirmRestart(changes.restart, await runningWork(name));
  let started = false;
  if (steps.keeps(changes)) {
    await settled();
    if (changes?.live.length === 0) o.progress(`cluster ${name} is already up with this config`);
  } else {
    if (steps.takeDownFirst(head, changes)) {
      await down(name, { keepJobs: true });
      ensureClusterDir(name, { passable });
      head = await listedHead(provider);
    }
    const credential = ensureOperatorCredential(name);
    // The head admits the operator by this digest; the credential itself never leaves this machine.
    if (!providerKind(config.provider.type).reachedOverSsh) writeOperatorDigest(dir, credential);
    writePrivate(configPath(dir), JSON.stringify(nodeConfig(config), null, 2));
    o.progress(steps.announce);
    if (!head) {
      await provider.launch({ requestId: `head-${randomBytes(4).toString('hex')}`, nodeType: config.head_node_type, kind: 'head', count: 1 });
      head = await listedHead(provider);
    }
    if (head?.status === 'pending') head = await runningHead(provider, config, o.progress);
    // A failure here leaves the launched head for `down` (or the next `up`, which finds it), as any later step's does.
    await settled();
    started = await steps.update(head, credential);
  }
  rememberCluster(name);
  return finish(config, dir, started, o);
}

/**
 * How long `up` waits before listing a booting head again: a quarter second throughout, so `up` goes on within
 * 250 ms of the instance running (a second apart cost half a second per `up` on average; EC2 boots take 10–40 s,
 * and four DescribeInstances a second are far below its rate limit).
 */
export const headPollDelayMs = (_attempt: number): number => 250;

/** A cloud head, once it runs: its address is known only then. */
async function runningHead(provider: NodeProvider, config: ClusterConfig, progress: (line: string) => void): Promise<CloudNode> {
  progress(`waiting for the head instance to run`);
  const head = await pollUntil(async () => {
    const h = await listedHead(provider);
    return h?.status === 'running' && (h.internalIp ?? h.externalIp) ? h : undefined;
  }, { timeoutMs: config.raylaunch.node_start_timeout_s * 1000, every: headPollDelayMs });
  if (head) return head;
  throw new ClusterStartError(`the head instance of cluster ${config.cluster_name} did not reach "running" within node_start_timeout_s (${config.raylaunch.node_start_timeout_s} s)`, {
    hint: 'see the instance in the cloud console; raylaunch down removes it, raylaunch up tries again',
  });
}

/**
 * Waits for the cluster and hands the head the settings it takes live. `started`: the head was (re)started with
 * this config, so there is nothing to hand over.
 */
async function finish(config: ClusterConfig, dir: string, started: boolean, o: UpOptions): Promise<UpResult> {
  const name = config.cluster_name;
  const session = await Session.open(name);
  try {
    const applied = started ? [] : await session.updateConfig(nodeConfig(config));
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

async function waitForWorkers(session: Session, first: ClusterStatus, config: ClusterConfig, dir: string, o: UpOptions): Promise<ClusterStatus> {
  const want = Object.entries(config.available_node_types).map(([type, t]) => ({ type, count: Math.min(t.min_workers, t.max_workers) })).filter((w) => w.count > 0);
  const total = want.reduce((n, w) => n + w.count, 0);
  if (total > 0) o.progress(`waiting for ${total} min_workers ${total === 1 ? 'node' : 'nodes'} to register`);
  // Only failures after this `up` began count.
  const seen = Math.max(-1, ...(first.autoscaler?.events ?? []).map((e) => e.seq));
  let missing = want;
  const registered = await pollUntil(async () => {
    const status = await session.status();
    // A node whose setup failed for good (after its retries) fails `up` now, with the reason, rather than at the timeout.
    const failed = status.autoscaler?.events.find((e) => e.kind === 'setup-failed' && e.seq > seen);
    if (failed?.kind === 'setup-failed') {
      throw new ClusterStartError(`a min_workers node could not be set up: setting up ${failed.nodeId} failed: ${failed.error} (log on the head: ${failed.log})`, {
        hint: `its ${failed.step ?? 'setup'} step failed${failed.exitCode === null ? '' : ` with exit code ${failed.exitCode}`}; the head keeps trying other hosts (raylaunch monitor follows it); fix the cause and run raylaunch up again`,
      });
    }
    const alive = new Set(status.nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE').map((n) => n.nodeId));
    // The launching list is the autoscaler's last look at the provider: it may lag a registration.
    for (const l of status.autoscaler?.launching ?? []) if (!alive.has(l.nodeId)) o.nodeStatus?.(l.nodeId, l.status, l.nodeType);
    for (const n of status.nodes) if (alive.has(n.nodeId)) o.nodeStatus?.(n.nodeId, 'registered', n.nodeType);
    missing = want.filter((w) => status.nodes.filter((n) => n.nodeType === w.type && n.kind === 'worker' && n.state === 'ALIVE').length < w.count);
    return missing.length === 0 ? status : undefined;
  }, { timeoutMs: config.raylaunch.node_start_timeout_s * 1000, every: 50 });
  if (registered) return registered;
  throw new ClusterStartError(`min_workers nodes did not register within node_start_timeout_s (${config.raylaunch.node_start_timeout_s} s): missing ${missing.map((m) => m.type).join(', ')}`, {
    hint: `see the node logs in ${join(dir, 'logs')}`,
  });
}

