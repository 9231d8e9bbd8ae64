import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError, ProviderConfigError } from '../errors.js';
import { CLUSTER_NAME_TAG, type CloudNode, type LaunchRequest, type NodeKind, type NodeProvider, validateLaunchRequest } from '../provider.js';
import { findOwned, isLive, listProcs, readStat, type ProcStat } from './proc.js';
import { type AnyRecord, ensureDir, isStarting, listRecords, logPath, logsDir, nodesDir, readRecord, removeRecord, type StartingRecord, writeRecord, type NodeRecord } from './records.js';
import { spawnNode } from './spawn.js';
import { findStarted, holdForTest, launcherAlive, launcherIdentity, NODE_NONCE_VAR, startingFate } from './starting.js';
import { terminateTree } from './terminate.js';
import type { ProcessNodeCommand, ProcessProviderOptions } from './types.js';
import { Serial } from '../../src/common/serial.js';

export type { ProcessNodeCommand, ProcessProviderOptions } from './types.js';


const DEFAULT_GRACE_MS = 5000;

/** Makes `head-<6 hex>` or `<type>-<6 hex>`: readable in `ps` and log names, and safe as a file name. */
function newNodeId(kind: NodeKind, nodeType: string): string {
  const prefix = kind === 'head' ? 'head' : nodeType.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'worker';
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * The embedded provider: each node is a process tree on this machine, started detached and remembered by a
 * record holding its pid and start time, so a recycled pid is never mistaken for a node. Linux only (/proc).
 * The record is written before the process starts (state "starting", starting.ts), so a launcher killed between
 * the two leaves no node that nobody lists: the next listNodes adopts the node or reaps the record.
 */
export class ProcessProvider implements NodeProvider {
  private readonly opts: ProcessProviderOptions;
  private readonly graceMs: number;
  /** Launches run one at a time, so two concurrent retries of a request cannot both see it short. */
  private readonly launches = new Serial();

  constructor(opts: ProcessProviderOptions) {
    if (!existsSync('/proc/self/stat')) {
      throw new ProviderConfigError('the process provider needs Linux /proc', { hint: 'Run local clusters on Linux, or use a cloud provider.' });
    }
    const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new ProviderConfigError(`graceMs must be ≥ 0, got ${graceMs}`);
    this.opts = opts;
    this.graceMs = graceMs;
  }

  /** Running nodes, plus 'stopping' ones whose leader died while other processes of its tree live on. */
  async listNodes(): Promise<CloudNode[]> {
    const records = await listRecords(this.opts.stateDir);
    let snapshot: Promise<ProcStat[]> | undefined;
    const procs = (): Promise<ProcStat[]> => (snapshot ??= listProcs()); // one /proc scan, and only if needed
    const nodes = await Promise.all(records.map(async (any) => {
      const rec = isStarting(any) ? await this.settleStarting(any, procs) : any;
      if (rec === undefined) return undefined;
      if (isStarting(rec)) return this.toNode(rec, 'pending');
      const leader = await readStat(rec.pid);
      if (leader?.startTime === rec.startTime && isLive(leader)) return this.toNode(rec, 'running');
      if ((await findOwned(rec.pid, rec.startTime, await procs())).procs.length > 0) return this.toNode(rec, 'stopping');
      await removeRecord(this.opts.stateDir, rec.id);
      return undefined;
    }));
    return nodes.filter((n): n is CloudNode => n !== undefined).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Starts the nodes of the request that are not running yet. */
  async launch(req: LaunchRequest): Promise<void> {
    validateLaunchRequest(req);
    return this.launches.run(async () => {
      const running = (await this.listNodes()).filter((n) => n.requestId === req.requestId && n.status === 'running').length;
      for (let i = running; i < req.count; i++) await this.launchOne(req);
    });
  }

  /** Stops the nodes' process trees in parallel; unknown and already-gone ids are fine. */
  async terminate(ids: string[]): Promise<void> {
    const results = await Promise.allSettled([...new Set(ids)].map((id) => this.terminateOne(id)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * A starting record as it stands: still starting (its launcher lives), the record of the node adopted, or
   * undefined once reaped.
   */
  private async settleStarting(rec: StartingRecord, procs: () => Promise<ProcStat[]>): Promise<AnyRecord | undefined> {
    const alive = await launcherAlive(rec);
    const found = alive ? undefined : await findStarted(rec, await procs());
    const fate = startingFate({ launcherAlive: alive, found });
    if (fate.kind === 'pending') return rec;
    if (fate.kind === 'reap') {
      await removeRecord(this.opts.stateDir, rec.id);
      return undefined;
    }
    const { state: _state, nonce: _nonce, launcher: _launcher, ...rest } = rec;
    const adopted: NodeRecord = { ...rest, pid: fate.pid, startTime: fate.startTime };
    await writeRecord(this.opts.stateDir, adopted);
    return adopted;
  }

  private toNode(rec: AnyRecord, status: CloudNode['status']): CloudNode {
    const { id, nodeType, kind, requestId } = rec;
    return { id, nodeType, kind, status, internalIp: '127.0.0.1', requestId, tags: { ...rec.tags, [CLUSTER_NAME_TAG]: this.opts.clusterName } };
  }

  private command(kind: NodeKind, nodeType: string): ProcessNodeCommand {
    try {
      return this.opts.command(kind, nodeType);
    } catch (e) {
      throw new ProviderConfigError(`no command for ${kind} node type ${nodeType}: ${String(e)}`, { cause: e });
    }
  }

  private async launchOne(req: LaunchRequest): Promise<void> {
    const { stateDir, clusterName } = this.opts;
    await ensureDir(nodesDir(stateDir));
    await ensureDir(logsDir(stateDir));
    let id = newNodeId(req.kind, req.nodeType);
    while ((await readRecord(stateDir, id)) !== undefined || existsSync(logPath(stateDir, id))) id = newNodeId(req.kind, req.nodeType);
    const cmd = this.command(req.kind, req.nodeType);
    const stdin = req.kind === 'worker' ? this.opts.credential?.(id) : undefined;
    const tags = { ...req.tags, [CLUSTER_NAME_TAG]: clusterName };
    const base = { id, nodeType: req.nodeType, kind: req.kind, requestId: req.requestId, launchedAt: new Date().toISOString(), tags };
    const starting: StartingRecord = { ...base, state: 'starting', nonce: randomBytes(16).toString('hex'), launcher: launcherIdentity() };
    // Durable before the process exists: whoever reads the records after this launcher died finds the node.
    await writeRecord(stateDir, starting);
    await holdForTest('recorded', id, req.kind);
    let spawned: { pid: number; startTime: number };
    try {
      const env = { ...cmd.env, [NODE_NONCE_VAR]: `${id}:${starting.nonce}` };
      spawned = await spawnNode({ ...cmd, env }, [...cmd.args, '--cluster', clusterName, '--node', id], logPath(stateDir, id), id, stdin);
    } catch (e) {
      await removeRecord(stateDir, id).catch(() => undefined);
      throw e;
    }
    await holdForTest('started', id, req.kind);
    const { pid, startTime } = spawned;
    try {
      await writeRecord(stateDir, { ...base, pid, startTime });
    } catch (e) {
      // A node nobody remembers could never be found by `down`: take it back down now.
      await terminateTree(id, pid, startTime, 0).catch(() => undefined);
      await removeRecord(stateDir, id).catch(() => undefined);
      throw e;
    }
  }

  /** A starting node is looked for by its nonce (its launcher may be mid-launch or gone) and stopped if found. */
  private async terminateOne(id: string): Promise<void> {
    let rec = await readRecord(this.opts.stateDir, id);
    if (rec === undefined) return;
    if (isStarting(rec)) {
      const found = await findStarted(rec, await listProcs());
      if (found) await terminateTree(id, found.pid, found.startTime, this.graceMs);
      // Read again: a launcher that finished meanwhile wrote the pid, and its node is stopped by that.
      rec = await readRecord(this.opts.stateDir, id);
      if (rec === undefined) return;
      if (isStarting(rec)) return removeRecord(this.opts.stateDir, id);
    }
    await terminateTree(id, rec.pid, rec.startTime, this.graceMs);
    await removeRecord(this.opts.stateDir, id);
  }
}

/** For `down`: moves <stateDir>/logs to <stateDir>/logs-last-run (replacing an older one), so the last run's logs survive. No-op when there are none. */
export async function moveLogsAside(stateDir: string): Promise<void> {
  const logs = logsDir(stateDir);
  const last = join(stateDir, 'logs-last-run');
  let entries: string[];
  try {
    entries = await readdir(logs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError('list', logs, e);
  }
  if (entries.length === 0) return; // an empty run must not wipe the previous run's logs
  try {
    await rm(last, { recursive: true, force: true });
    await rename(logs, last);
  } catch (e) {
    throw fsError('move', `${logs} to ${last}`, e);
  }
}
