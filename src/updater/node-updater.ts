/**
 * Brings one node from "reachable over SSH" to "raylaunch running with this config": probe, upload the runtime
 * if missing, sync files, run initialization and setup commands, then the start commands and the supervisor.
 * What to do is decided by planUpdate from the probe; an unchanged node costs one round trip. A failed attempt
 * is retried (3 in all) unless another attempt cannot help.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../common/net.js';
import { type LocalRuntime, remoteRuntimeDir } from '../runtime/layout.js';
import type { Readable } from 'node:stream';
import { withoutLiveSettings } from '../config/changes.js';
import { canonicalJson } from '../config/hash.js';
import { nodeConfig } from '../config/node-config.js';
import type { ClusterConfig } from '../config/types.js';
import { HostKeyMismatchError, SshConnectError } from './errors.js';
import { NodeUpdateError, type UpdateStep } from './errors-update.js';
import { FileSyncError, syncMount, type SyncResult } from './file-sync.js';
import { packRuntime, type RuntimeUpload } from './runtime-pack.js';
import { providerKind } from '../../providers/index.js';
import { installNodeCommand, NODE_DIST, type NodeDist, NODE_PATH_PREFIX } from './node-install.js';
import { planUpdate, type UpdateSteps } from './plan.js';
import { parseProbe, probeCommand, remoteStateDir, shq, startDaemonCommand, stopDaemonCommand } from './remote.js';
import type { CommandRunner } from './runner.js';
import { sleep } from '../common/wait.js';

export type UpdateStatus = UpdateStep | 'up-to-date' | 'update-failed';

export interface NodeSpec {
  id: string;
  kind: 'head' | 'worker';
  nodeType: string;
  /** Its private address: the daemon listens there, and it names the node in messages. */
  ip: string;
}

export interface UpdaterOptions {
  runner: CommandRunner;
  config: ClusterConfig;
  node: NodeSpec;
  /** `ip:port` of the head's control plane; '' when updating the head itself. */
  headAddress: string;
  /** The runtime build (layout.ts localRuntime): a worker gets its worker part, when the build names one. */
  runtime: LocalRuntime;
  /**
   * Written into the node's state folder with mode 0600 (the operator's digest, the head's key) beside config.json
   * (from `config`); content never logged. Never a credential a task could use: see `credential`.
   */
  files: Record<string, string>;
  /**
   * A worker's node credential: sent on the start command's stdin to the supervisor, which keeps it in memory and
   * hands it to the agent over a pipe. Never written on the node.
   */
  credential?: string;
  /** The runtime hash this config gives (config/hash.ts runtimeHash); combined here with the runtime build. */
  runtimeHash: string;
  /** Where file_mounts' local sides are: this machine's paths, or (on the head, for workers) the mounts' own remote paths. */
  mountSource(remote: string, local: string): string;
  forceSetup?: boolean;
  restartOnly?: boolean;
  attempts?: number;
  /** Where Node.js comes from on cloud nodes without it (tests point it at a server of their own, with its sums). */
  nodeDist?: NodeDist;
  onStatus?(status: UpdateStatus, detail: string): void;
  /** Every line the node's commands print (for the node's setup log). */
  onOutput?(line: string): void;
}

export interface UpdateResult {
  steps: UpdateSteps;
  nodeVersion: string;
  synced: SyncResult;
  attempts: number;
}

const NODE_MAJOR = 20;
const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

export class NodeUpdater {
  private readonly o: UpdaterOptions;
  private readonly lines: string[] = [];

  constructor(o: UpdaterOptions) {
    // What the node runs with, and so what it is sent: never the CLI's cloud credentials.
    this.o = { ...o, config: nodeConfig(o.config) };
  }

  /** What of the runtime this node gets: a worker only what its entries load, when the build says which. */
  private get runtime(): RuntimeUpload {
    const { dir, version, hash, worker } = this.o.runtime;
    return this.o.node.kind === 'worker' && worker ? { dir, version, hash: worker.hash, files: worker.files } : { dir, version, hash };
  }

  get nodeRuntimeHash(): string {
    return digest(this.o.runtimeHash, this.runtime.version, this.runtime.hash);
  }

  /**
   * Over every state file (config, token, key): any of them changing restarts the daemon with the new ones. The
   * settings a running head takes live (config/changes.ts) are left out: `up` hands them to the head instead.
   */
  private get configHash(): string {
    const files = { ...this.o.files, 'config.json': canonicalJson(withoutLiveSettings(this.o.config)) };
    return digest(...Object.entries(files).sort(([a], [b]) => a.localeCompare(b)).flat());
  }

  async update(): Promise<UpdateResult> {
    const attempts = this.o.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ...(await this.once()), attempts: attempt };
      } catch (e) {
        const err = this.explain(e);
        if (!err.retryable || attempt >= attempts) {
          this.o.onStatus?.('update-failed', err.message);
          throw err;
        }
        this.o.onStatus?.('waiting-for-ssh', `attempt ${attempt} of ${attempts} failed (${err.message.split('\n')[0]}); retrying`);
        await sleep(1000 * attempt);
      }
    }
  }

  private status(s: UpdateStatus, detail: string): void {
    this.o.onStatus?.(s, detail);
  }

  private async once(): Promise<Omit<UpdateResult, 'attempts'>> {
    const { runner, config, node } = this.o;
    const runtime = this.runtime;
    const cluster = config.cluster_name;
    const runtimeRel = remoteRuntimeDir(runtime);
    this.status('waiting-for-ssh', `connecting to ${runner.host}`);
    let probe = parseProbe((await this.must('waiting-for-ssh', NODE_PATH_PREFIX + probeCommand(cluster, runtimeRel))).stdout);
    if ((probe.nodeMajor === undefined || probe.nodeMajor < NODE_MAJOR) && providerKind(config.provider.type).installsNode) {
      const dist = this.o.nodeDist ?? NODE_DIST;
      this.status('setting-up', `installing Node.js ${dist.version} (found ${probe.nodeVersion || 'none'})`);
      await this.must('setting-up', installNodeCommand(dist));
      probe = parseProbe((await this.must('waiting-for-ssh', NODE_PATH_PREFIX + probeCommand(cluster, runtimeRel))).stdout);
    }
    if (probe.nodeMajor === undefined || probe.nodeMajor < NODE_MAJOR) {
      throw new NodeUpdateError(node.id, runner.host, 'waiting-for-ssh', probe.nodeMajor === undefined
        ? `Node.js is not installed on ${runner.host} (\`node\` is not on the SSH user's PATH)`
        : `Node.js ${probe.nodeVersion} on ${runner.host} is too old; raylaunch needs ${NODE_MAJOR} or newer`, {
        hint: 'install Node.js 20 or newer on the host (or add the install to initialization_commands), then run raylaunch up again', retryable: false,
      });
    }
    const steps = planUpdate(probe, { runtimeHash: this.nodeRuntimeHash, configHash: this.configHash, forceSetup: !!this.o.forceSetup, restartOnly: !!this.o.restartOnly });
    let synced: SyncResult = { files: 0, bytes: 0 };
    if (steps.sync) {
      this.status('syncing-files', steps.uploadRuntime ? `uploading the runtime ${runtime.version}-${runtime.hash}` : 'syncing files');
      if (steps.uploadRuntime) await this.uploadRuntime(runtimeRel);
      await this.writeStateFiles(cluster);
      synced = await this.syncMounts();
    }
    if (steps.setup) {
      this.status('setting-up', 'running setup commands');
      for (const cmd of this.setupCommands()) await this.command('setting-up', cmd);
    }
    if (steps.start) {
      this.status('starting', probe.daemonRunning ? 'restarting raylaunch' : 'starting raylaunch');
      for (const cmd of node.kind === 'head' ? config.head_start_ray_commands : config.worker_start_ray_commands) await this.command('starting', cmd);
      const nodeIp = await this.listenAddress();
      await this.must('starting', stopDaemonCommand(cluster));
      await this.must('starting', NODE_PATH_PREFIX + startDaemonCommand({
        cluster, nodeId: node.id, kind: node.kind, nodeType: node.nodeType, runtimeRel, nodeIp, headAddress: this.o.headAddress,
        ...(node.kind === 'head' ? { env: providerKind(config.provider.type).headEnv?.(process.env) ?? {} } : {}),
      }), `${this.o.credential ?? ''}\n`);
      await this.must('starting', `D=${remoteStateDir(cluster)}; printf %s ${shq(this.nodeRuntimeHash)} > "$D/runtime-hash" && printf %s ${shq(this.configHash)} > "$D/config-hash"`);
    }
    this.status('up-to-date', steps.reason);
    return { steps, nodeVersion: probe.nodeVersion, synced };
  }

  /**
   * The address the node's services listen on: its configured address, or for a host name what the host itself
   * resolves it to. Only loopback or private addresses: a public one stops the update with the reason.
   */
  private async listenAddress(): Promise<string> {
    const { node, runner } = this.o;
    let ip = node.ip;
    if (!isIP(ip)) {
      const r = await this.must('starting', `getent ahosts ${shq(node.ip)} | awk 'NR==1 { print $1 }'`);
      ip = r.stdout.trim();
      if (!ip) throw new NodeUpdateError(node.id, runner.host, 'starting', `${node.ip} does not resolve to an address on that host`, { hint: 'use the host\'s private IP address in the config', retryable: false });
    }
    if (!isPrivateAddress(ip)) {
      throw new NodeUpdateError(node.id, runner.host, 'starting', `${node.ip}${ip === node.ip ? '' : ` (${ip})`} is not a private address, and raylaunch's services listen only on loopback or private networks`, {
        hint: 'give the host by its address on a private network (provider.head_ip, provider.worker_ips)', retryable: false,
      });
    }
    return ip;
  }

  private setupCommands(): string[] {
    const { config, node } = this.o;
    const t = config.available_node_types[node.nodeType];
    const init = t?.initialization_commands ?? config.initialization_commands;
    const setup = node.kind === 'head' ? config.head_setup_commands : (t?.worker_setup_commands ?? config.worker_setup_commands);
    return [...init, ...setup];
  }

  private async uploadRuntime(rel: string): Promise<void> {
    // Unpacked beside and renamed: a half-uploaded runtime is never taken for a complete one.
    const cmd = `R="$HOME"/${rel}; T="$R.partial-$$"; mkdir -p "$T" && tar -xzf - -C "$T" && { [ -f "$R/manifest.json" ] || { rm -rf "$R" && mv "$T" "$R"; }; }; rc=$?; rm -rf "$T"; exit $rc`;
    let packed: Buffer;
    try {
      packed = await packRuntime(this.runtime);
    } catch (e) {
      throw new FileSyncError(`packing the runtime ${this.o.runtime.dir} failed: ${(e as Error).message}`, { hint: 'run npm run build (the runtime folder is incomplete)', cause: e });
    }
    await this.must('syncing-files', cmd, packed);
  }

  private async writeStateFiles(cluster: string): Promise<void> {
    const dir = `.raylaunch/clusters/${cluster}`;
    const files = { ...this.o.files, 'config.json': JSON.stringify(this.o.config, null, 2) };
    for (const [name, content] of Object.entries(files)) await this.o.runner.writeFile(`${dir}/${name}`, content, 0o600);
  }

  private async syncMounts(): Promise<SyncResult> {
    const { config, runner } = this.o;
    const total: SyncResult = { files: 0, bytes: 0 };
    const mounts: [string, string][] = [
      ...Object.entries(config.file_mounts).map(([remote, local]): [string, string] => [remote, this.o.mountSource(remote, local)]),
      // cluster_synced_files go from the head to workers: the head's copy is at the same path.
      ...(this.o.node.kind === 'worker' ? config.cluster_synced_files.map((p): [string, string] => [p, this.o.mountSource(p, p)]) : []),
    ];
    for (const [remote, local] of mounts) {
      const r = await syncMount(runner, remote, local, config);
      total.files += r.files;
      total.bytes += r.bytes;
    }
    return total;
  }

  /** A setup or start command: output streamed to the node log, the last 20 lines kept for the error. */
  private async command(step: UpdateStep, cmd: string): Promise<void> {
    // Inside the login shell: /etc/profile may reset PATH, and a Node.js raylaunch installed must stay first.
    this.lines.length = 0; // "its last lines" are this command's own
    const r = await this.o.runner.run(`bash --login -c ${shq(NODE_PATH_PREFIX + cmd)}`, { onStdout: (d) => this.output(d), onStderr: (d) => this.output(d) });
    if (r.code !== 0) {
      const last = this.lines.slice(-20);
      throw new NodeUpdateError(this.o.node.id, this.o.runner.host, step, `\`${cmd}\` failed on ${this.o.runner.host} with exit code ${r.code}${last.length ? `; its last lines:\n${last.map((l) => `    ${l}`).join('\n')}` : ''}`, {
        command: cmd, commandExitCode: r.code, lastLines: last, hint: 'fix the command in the cluster config (or the host), then run raylaunch up again',
      });
    }
  }

  private output(d: Buffer): void {
    for (const line of d.toString().split('\n')) {
      if (line === '') continue;
      this.lines.push(line);
      if (this.lines.length > 200) this.lines.splice(0, 100);
      this.o.onOutput?.(line);
    }
  }

  /** raylaunch's own remote commands: a failure is a bug or a broken host, reported with what it printed. */
  private async must(step: UpdateStep, cmd: string, stdin?: Readable | Buffer | string) {
    const r = await this.o.runner.run(cmd, stdin ? { stdin } : {});
    if (r.code !== 0) {
      throw new NodeUpdateError(this.o.node.id, this.o.runner.host, step, `a raylaunch step failed on ${this.o.runner.host} (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`, {
        command: cmd, commandExitCode: r.code, hint: 'check the disk space and permissions in the SSH user\'s home on that host',
      });
    }
    return r;
  }

  private explain(e: unknown): NodeUpdateError {
    const { node, runner } = this.o;
    if (e instanceof NodeUpdateError) return e;
    if (e instanceof HostKeyMismatchError) return new NodeUpdateError(node.id, runner.host, 'waiting-for-ssh', e.message, { hint: e.hint, cause: e, retryable: false });
    if (e instanceof SshConnectError) return new NodeUpdateError(node.id, runner.host, 'waiting-for-ssh', e.message, { hint: e.hint, cause: e, retryable: e.reason !== 'auth' });
    if (e instanceof FileSyncError) return new NodeUpdateError(node.id, runner.host, 'syncing-files', e.message, { hint: e.hint, cause: e, retryable: !/does not exist/.test(e.message) });
    return new NodeUpdateError(node.id, runner.host, 'waiting-for-ssh', `updating ${node.id} (${runner.host}) failed: ${(e as Error).message}`, { cause: e });
  }
}
