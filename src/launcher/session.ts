import { handshake } from '../client/connect.js';
import { RaylaunchRuntimeError } from '../client/errors.js';
import type { Transport } from '../client/transport.js';
import { wsTransport } from '../client/ws-transport.js';
import { clusterDir } from '../common/paths.js';
import type { LiveChange } from '../config/changes.js';
import type { ClusterConfig } from '../config/types.js';
import type { ClusterStatus, JobState, Message, NodeView } from '../protocol/messages.js';
import { notRunning } from './known-clusters.js';
import { readHeadInfo, readOperatorCredential } from './cluster-state.js';
import { HeadConnectionError, JobNotFoundError, JobRefusedError } from './errors.js';
import { RaylaunchError } from '../common/errors.js';
import { readSshHead } from './ssh-head.js';
import { openTunnel, type Tunnel } from './tunnel.js';
import { backoffDelay, reconnectTimeoutS, RECONNECT_TIMEOUT_ENV } from '../client/reconnect.js';
import { sleep } from '../common/wait.js';
import { OutputCursor } from '../jobs-client/cursor.js';

type Waiter = (m: Message) => boolean;

/** The CLI's connection to a head: status queries and jobs. */
export class Session {
  private waiters: Waiter[] = [];
  private reqSeq = 0;
  private closeReason: string | undefined;

  private constructor(
    private transport: Transport, readonly clientId: string, readonly address: string, private tunnel: Tunnel | undefined,
    private readonly clusterName: string, private readonly reconnectTimeoutS: number,
  ) {
    this.attach(transport);
  }

  private attach(transport: Transport): void {
    this.transport = transport;
    this.closeReason = undefined;
    transport.onMessages((msgs) => {
      for (const m of msgs) this.waiters = this.waiters.filter((w) => !w(m));
    });
    transport.onClose((reason) => {
      if (transport !== this.transport) return;
      this.closeReason = reason;
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w({ type: 'fatal', message: reason });
    });
  }

  static async open(clusterName: string): Promise<Session> {
    const c = await Session.connect(clusterName, `cli-${process.pid}-${Date.now().toString(36)}`);
    return new Session(c.transport, c.clientId, c.address, c.tunnel, clusterName, c.reconnectTimeoutS);
  }

  /**
   * Takes a dropped connection back (the head restarted): tries the head again with backoff and jitter for up to
   * raylaunch.head_reconnect_timeout_s, as drivers do; throws HeadConnectionError when no head came back.
   */
  private async reconnect(): Promise<void> {
    const deadline = Date.now() + this.reconnectTimeoutS * 1000;
    let last = this.closeReason ?? 'the connection closed';
    await this.tunnel?.close();
    this.tunnel = undefined;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      await sleep(Math.min(Math.max(0, deadline - Date.now()), backoffDelay(attempt, Math.random())));
      try {
        const c = await Session.connect(this.clusterName, this.clientId);
        this.tunnel = c.tunnel;
        this.attach(c.transport);
        return;
      } catch (e) {
        last = (e as Error).message;
      }
    }
    throw new HeadConnectionError(`lost the connection to the head of cluster ${this.clusterName} and it did not come back within ${this.reconnectTimeoutS} s: ${last}`, {
      hint: `see whether the head runs with raylaunch status -c ${this.clusterName}`,
    });
  }

  private static async connect(clusterName: string, clientId: string): Promise<{ transport: Transport; tunnel: Tunnel | undefined; clientId: string; address: string; reconnectTimeoutS: number }> {
    const dir = clusterDir(clusterName);
    const head = readHeadInfo(dir);
    const token = readOperatorCredential(clusterName);
    if (!head || !token) {
      throw notRunning(clusterName);
    }
    let transport: Transport;
    let tunnel: Tunnel | undefined;
    try {
      const ssh = readSshHead(dir);
      // Clusters on other machines: the control plane is reached through SSH to the head, never opened to the outside.
      if (ssh) tunnel = await openTunnel(ssh, head.address);
      transport = await wsTransport(tunnel ? `127.0.0.1:${tunnel.localPort}` : head.address, token);
    } catch (e) {
      await tunnel?.close();
      if (e instanceof RaylaunchError) throw e;
      throw new HeadConnectionError(`cannot reach the head of cluster ${clusterName} at ${head.address}: ${(e as Error).message.replace(/^.*?: /, '')}`, {
        hint: `if the cluster crashed, clean up with raylaunch down -c ${clusterName} and start it again`, cause: e,
      });
    }
    try {
      const welcome = await handshake(transport, { type: 'hello', role: 'cli', clientId });
      return { transport, tunnel, clientId, address: head.address, reconnectTimeoutS: reconnectTimeoutS(welcome.reconnectTimeoutS, process.env[RECONNECT_TIMEOUT_ENV]) };
    } catch (e) {
      await transport.close();
      await tunnel?.close();
      throw e;
    }
  }

  private until<T>(pick: (m: Message) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.closeReason) return reject(new RaylaunchRuntimeError(`the connection to the head closed: ${this.closeReason}`));
      this.waiters.push((m) => {
        if (m.type === 'fatal') {
          reject(new HeadConnectionError(`the connection to the head closed: ${m.message}`));
          return true;
        }
        const v = pick(m);
        if (v === undefined) return false;
        resolve(v);
        return true;
      });
    });
  }

  async status(): Promise<ClusterStatus> {
    const reqId = this.reqSeq++;
    const reply = this.until((m) => (m.type === 'query.reply' && m.reqId === reqId ? m.status : undefined));
    this.transport.send([{ type: 'query', reqId, client: this.clientId }]);
    return reply;
  }

  async submitJob(req: { name: string; bundle: Uint8Array; args: string[]; env: Record<string, string>; workingDir?: Uint8Array }): Promise<string> {
    const reqId = this.reqSeq++;
    const reply = this.until((m) => (m.type === 'job.accepted' && m.reqId === reqId ? m.jobId
      : m.type === 'job.refused' && m.reqId === reqId ? new JobRefusedError(`the head refused the job: ${m.message}`) : undefined));
    this.transport.send([{ type: 'job.submit', reqId, ...req }]);
    const r = await reply;
    if (r instanceof Error) throw r;
    return r;
  }

  /**
   * Streams a job's output to `out`: until it exits (follow), or only what it printed so far. Resolves to its
   * state, and its exit code once it has one. Following, a connection that drops (the head restarted) is taken
   * back and the output goes on from where it was, nothing lost or repeated.
   */
  async follow(jobId: string, out: (stream: 'stdout' | 'stderr', text: string) => void, follow = true): Promise<{ state: JobState; exitCode: number | null }> {
    const cursor = new OutputCursor();
    for (;;) {
      try {
        return await this.followOnce(jobId, out, follow, cursor);
      } catch (e) {
        // A dropped connection, not a refusal (job.missing) nor the head's own fatal.
        if (!follow || !(e instanceof HeadConnectionError) || this.closeReason === undefined) throw e;
        await this.reconnect();
      }
    }
  }

  private async followOnce(jobId: string, out: (stream: 'stdout' | 'stderr', text: string) => void, follow: boolean, cursor: OutputCursor): Promise<{ state: JobState; exitCode: number | null }> {
    const done = this.until<{ state: JobState; exitCode: number | null } | Error>((m) => {
      if (m.type === 'job.output' && m.jobId === jobId) {
        const text = cursor.take(m.text, m.at);
        if (text) out(m.stream, text);
      }
      if (m.type === 'job.missing' && m.jobId === jobId) return new JobNotFoundError(`no job ${jobId} on this cluster`, { hint: 'list the jobs with raylaunch job list' });
      if (m.type === 'job.snapshot.end' && m.jobId === jobId) return { state: m.state, exitCode: null };
      return m.type === 'job.exit' && m.jobId === jobId ? { state: m.state, exitCode: m.exitCode } : undefined;
    });
    this.transport.send([{ type: 'job.follow', jobId, follow, ...(cursor.seen > 0 ? { from: cursor.seen } : {}) }]);
    const r = await done;
    if (r instanceof Error) throw r;
    return r;
  }

  async downWorkers(keepMinWorkers: boolean): Promise<string[]> {
    const reqId = this.reqSeq++;
    const reply = this.until((m) => (m.type === 'workers.down.reply' && m.reqId === reqId ? m : undefined));
    this.transport.send([{ type: 'workers.down', reqId, client: this.clientId, keepMinWorkers }]);
    const r = await reply;
    if (r.error) throw new HeadConnectionError(`the head could not take the workers down: ${r.error}`);
    return r.terminated;
  }

  /** Hands the head a config whose changes it takes live; resolves to what it applied. */
  async updateConfig(config: ClusterConfig): Promise<LiveChange[]> {
    const reqId = this.reqSeq++;
    const reply = this.until((m) => (m.type === 'config.updated' && m.reqId === reqId ? m : undefined));
    this.transport.send([{ type: 'config.update', reqId, client: this.clientId, config }]);
    const r = await reply;
    if (r.error) throw new HeadConnectionError(`the head did not take the new config: ${r.error}`, { hint: 'run raylaunch up again; a change that needs a restart restarts the head' });
    return r.applied;
  }

  stopJob(jobId: string): void {
    this.transport.send([{ type: 'job.stop', jobId }]);
  }

  async close(): Promise<void> {
    await this.transport.close();
    await this.tunnel?.close();
  }
}

/** The cluster's ALIVE workers, from one status query of its head. */
export async function aliveWorkers(clusterName: string): Promise<NodeView[]> {
  const session = await Session.open(clusterName);
  try {
    return (await session.status()).nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE');
  } finally {
    await session.close();
  }
}
