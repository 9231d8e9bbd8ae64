import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Batcher } from '../common/batcher.js';
import { type ResourceDict, toFixed } from '../common/resources.js';
import type { Transport } from '../client/transport.js';
import { checkMessages } from '../protocol/check.js';
import type { Message, MessageOf, ObjectValue } from '../protocol/messages.js';
import { forkWorker, jobFiles, type JobFiles } from './job-files.js';
import { ObjectFetcher } from './object-fetcher.js';
import { ObjectFiles, removeStaleFolders } from './object-files.js';
import { ObjectServer } from './object-server.js';
import { ObjectStore } from './object-store.js';
import { OutageBuffer } from './outage-buffer.js';
import { type WorkerProc, WorkerPool } from './pool.js';
import { ForbiddenWorkerMessage, stamp, type WorkerFacts } from './worker-messages.js';
import { assertReachable, lookupWorkerUser, type WorkerUser } from './worker-user.js';

export interface AgentOptions {
  nodeId: string;
  nodeType: string;
  kind: 'head' | 'worker';
  resources: ResourceDict;
  address: string;
  /** The node's own folder: job bundles, worker logs. */
  nodeDir: string;
  /** The raylaunch package the job bundles import (`node_modules/raylaunch` points here). */
  runtimeRoot: string;
  inlineLimit: number;
  heartbeatMs: number;
  /** The object credential from the head's welcome: this node's object server admits only holders of it, and its fetches present it. */
  token: string;
  /** The node's object store (a new one unless given). */
  store?: ObjectStore;
  /** raylaunch.max_connections: the most fetchers this node's object server takes at once. */
  maxObjectConnections?: number;
  /** raylaunch.worker_user: the user worker processes run as (the agent must be root). */
  workerUser?: string;
  /** One line to the node's log (why a worker process or the head's connection was closed). */
  log(line: string): void;
}

/** Objects above this many bytes go to local worker processes as files rather than IPC messages. */
const LARGE_BY_FILE = 1024 * 1024;

/**
 * The node side of the cluster: registers the node's resources, heartbeats, runs tasks in worker processes and
 * keeps the node's objects. Worker processes reach the head through it (one connection per node).
 */
export class Agent {
  readonly store: ObjectStore;
  private readonly pool: WorkerPool;
  private readonly toHead: Batcher<Message>;
  private readonly bundleRequests = new Map<number, (reply: MessageOf<'job.bundle'>) => void>();
  private readonly jobs = new Map<string, Promise<JobFiles>>();
  /** Actors hosted here: one worker process each, started by the head's actor.start; the calls given to it, with the caller's job. */
  private readonly actors = new Map<string, HostedActor>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly server: ObjectServer;
  private readonly fetcher: ObjectFetcher;
  /** The object servers of the cluster's nodes (host:port by node id), as the head's node table has them. */
  private readonly objectServers = new Map<string, string>();
  /** host:port of this node's object server, once it listens. */
  objectAddress = '';
  private readonly shmBase: string;
  private readonly files: ObjectFiles;
  private reqSeq = 0;
  private workerSeq = 0;
  /** Who worker processes run as, when not as the agent's user. */
  private readonly user: WorkerUser | undefined;
  /** Whether a connection to the head is open: while not, what goes to the head waits in `outage`. */
  private connected = true;
  private readonly outage = new OutageBuffer();
  /**
   * Tasks the head sent here whose end the head has not been sent yet (on an open connection), as the head sent
   * them: re-reported after a relink, results still waiting in `outage` included.
   */
  private readonly unsent = new Map<string, MessageOf<'task.run'>>();
  /** Each live worker process's hello, as relayed: said again to a restarted head, which routes their replies by it. */
  private readonly hellos = new Map<string, MessageOf<'hello'>>();
  /** Per worker process, objects it asked the head for and has not received: asked again after a relink. */
  private readonly fetches = new Map<string, Set<string>>();

  constructor(private link: Transport, private readonly o: AgentOptions) {
    this.store = o.store ?? new ObjectStore();
    this.shmBase = existsSync('/dev/shm') ? '/dev/shm' : o.nodeDir;
    this.user = o.workerUser === undefined ? undefined : lookupWorkerUser(o.workerUser, process.getuid?.());
    if (this.user) {
      // Jobs' folders lie below the node's: the worker user passes through it and node-data (never lists them).
      assertReachable(dirname(dirname(o.nodeDir)), this.user);
      mkdirSync(o.nodeDir, { recursive: true, mode: 0o700 });
      chmodSync(dirname(o.nodeDir), 0o711);
      chmodSync(o.nodeDir, 0o711);
    }
    this.files = new ObjectFiles(this.shmBase, this.user);
    this.server = new ObjectServer({
      host: o.address, port: 0, token: o.token, store: this.store, log: o.log, ...(o.maxObjectConnections !== undefined ? { maxConnections: o.maxObjectConnections } : {}),
    });
    this.fetcher = new ObjectFetcher({ token: o.token });
    this.toHead = new Batcher((msgs) => this.deliver(msgs));
    const cpus = o.resources.CPU ?? 0;
    this.pool = new WorkerPool({
      spawn: (jobId) => this.spawnWorker(jobId),
      maxBusy: Math.max(4, Math.ceil(cpus) * 2),
      total: toFixed(o.resources),
      onCrash: (run, pid, reason) => this.toHead.push({ type: 'task.crashed', taskId: run.task.taskId, attempt: run.attempt, pid, reason }),
    });
    this.listen(link);
  }

  private listen(link: Transport): void {
    link.onMessages((msgs) => {
      for (const m of msgs) {
        try {
          this.fromHead(m);
        } catch (e) {
          // A message from the head this agent cannot act on: the connection goes (main.ts reconnects), not the node.
          this.o.log(`closing the connection to the head: ${m.type} failed here: ${(e as Error).message}`);
          void link.close();
          return;
        }
      }
    });
  }

  /** To the head, or, while no connection is open, kept until the next one (an open one tells sent work apart). */
  private deliver(msgs: Message[]): void {
    if (!this.connected) {
      for (const m of msgs) this.outage.push(m);
      return;
    }
    this.link.send(msgs);
    for (const m of msgs) {
      if (m.type === 'task.done' || m.type === 'task.crashed') {
        if (this.unsent.get(m.taskId)?.attempt === m.attempt) this.unsent.delete(m.taskId);
      } else if (m.type === 'actor.done') {
        this.actors.get(m.actorId)?.open.delete(m.callId);
      }
    }
  }

  /** The connection to the head closed: from now on what the head would be sent waits for the next one. */
  disconnected(): void {
    this.toHead.flushNow();
    this.connected = false;
  }

  /**
   * A new connection to the head, after the last one closed: the node registers again under the same id, with
   * its object server, worker processes and objects as they are; it says its worker processes' hellos again,
   * re-reports the work it runs and the objects it holds (node.resume), asks again for what its worker processes
   * wait for, and only then sends what it produced while the head was away (a restarted head knows each task
   * before its result). `objectCredential`: the head's, from its welcome (a restarted head mints a new one).
   */
  relink(link: Transport, objectCredential: string | undefined): void {
    this.toHead.flushNow(); // pushed before this connection: produced during the outage
    this.link = link;
    this.connected = true;
    if (objectCredential !== undefined) {
      this.server.rotate(objectCredential);
      this.fetcher.rotate(objectCredential);
    }
    this.listen(link);
    this.register();
    for (const hello of this.hellos.values()) this.toHead.push(hello);
    this.toHead.push({
      type: 'node.resume', nodeId: this.o.nodeId,
      tasks: [...this.unsent.values()].map((m) => ({ task: m.task, attempt: m.attempt })),
      actors: [...this.actors.values()].map((a) => ({
        actor: a.start.actor, attempt: a.start.attempt, ready: a.ready, calls: [...a.open.values()].map((r) => ({ call: r.call, attempt: r.attempt })),
      })),
      objects: this.store.list(),
    });
    for (const [client, ids] of this.fetches) if (ids.size > 0) this.toHead.push({ type: 'fetch', client, ids: [...ids] });
    const { messages, dropped } = this.outage.drain();
    if (dropped > 0) this.o.log(`${dropped} messages for the head were dropped while it was away (past the agent's outage buffer)`);
    for (const m of messages) this.toHead.push(m);
  }

  /** Starts the object server, then registers the node (its objects are reachable before anyone learns of them). */
  async start(): Promise<void> {
    const { nodeId, address } = this.o;
    removeStaleFolders(this.shmBase, undefined, this.user);
    this.objectAddress = `${address}:${await this.server.listen()}`;
    this.register();
    this.heartbeat = setInterval(() => this.toHead.push({ type: 'heartbeat', nodeId }), this.o.heartbeatMs);
    this.heartbeat.unref();
  }

  private register(): void {
    const { nodeId, nodeType, kind, address, resources } = this.o;
    this.toHead.push({ type: 'node.register', nodeId, nodeType, kind, address, objectAddress: this.objectAddress, resources, pid: process.pid });
  }

  /** The node goes soon whatever the autoscaler decides (a spot interruption notice): the head drains it now. */
  draining(reason: string): void {
    this.toHead.push({ type: 'node.draining', nodeId: this.o.nodeId, reason });
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.files.remove();
    this.pool.killAll();
    for (const a of this.actors.values()) a.proc?.child.kill('SIGKILL');
    void this.server.close();
    void this.fetcher.close();
  }

  private fromHead(m: Message): void {
    switch (m.type) {
      case 'task.run':
        this.unsent.set(m.task.taskId, m);
        this.settle(this.ensureJob(m.task.jobId).then(() => this.pool.run(m), (e: Error) => this.toHead.push({
          type: 'task.crashed', taskId: m.task.taskId, attempt: m.attempt, pid: 0, reason: `the job's code could not be fetched: ${e.message}`,
        })), `running task ${m.task.taskId}`);
        return;
      case 'actor.start': return this.settle(this.startActor(m), `starting actor ${m.actor.actorId}`);
      case 'actor.run': {
        const a = this.actors.get(m.call.actorId);
        if (!a) return;
        a.calls.set(m.call.callId, m.call.jobId);
        a.open.set(m.call.callId, m);
        if (a.proc?.ready) a.proc.child.send([m] satisfies Message[]);
        else a.pending.push(m);
        return;
      }
      case 'actor.stop': {
        const a = this.actors.get(m.actorId);
        a?.proc?.child.kill('SIGKILL');
        return;
      }
      case 'object.store':
        // A driver's put the head hands the head node's store; the head says where it is only after this answer.
        this.store.put(m.id, m.data, m.jobId);
        this.toHead.push({ type: 'object.stored', id: m.id, jobId: m.jobId, size: m.data.byteLength });
        return;
      case 'node.objects':
        for (const [nodeId, address] of Object.entries(m.addresses)) this.objectServers.set(nodeId, address);
        return;
      case 'task.cancel':
        this.pool.kill(m.taskId);
        return;
      case 'object.pull':
        // The head relays one of our objects to a client elsewhere.
        this.toHead.push({ type: 'object.data', reqId: m.reqId, client: m.client, id: m.id, data: this.store.get(m.id) ?? null });
        return;
      case 'job.bundle': {
        const resolve = this.bundleRequests.get(m.reqId);
        this.bundleRequests.delete(m.reqId);
        resolve?.(m);
        return;
      }
      case 'job.ended':
        for (const [taskId, run] of this.unsent) if (run.task.jobId === m.jobId) this.unsent.delete(taskId);
        this.pool.endJob(m.jobId);
        this.store.dropJob(m.jobId);
        this.jobs.delete(m.jobId);
        return;
      case 'object':
        this.fetches.get(m.client)?.delete(m.id);
        this.toWorker(m.client, m);
        return;
      case 'object.data':
      case 'query.reply':
      case 'warning':
        this.toWorker(m.client, m);
        return;
      default:
        return;
    }
  }

  /** Work that finishes later: a failure in it is logged, never left to end the process as an unhandled rejection. */
  private settle(work: Promise<unknown>, what: string): void {
    work.catch((e: unknown) => this.o.log(`${what} failed: ${(e as Error).stack ?? String(e)}`));
  }

  private toWorker(clientId: string, m: Message): void {
    const p = this.pool.find(clientId) ?? [...this.actors.values()].find((a) => a.proc?.clientId === clientId)?.proc;
    if (p?.child.connected) p.child.send([m]);
  }

  private async startActor(m: MessageOf<'actor.start'>): Promise<void> {
    const { actorId, jobId } = m.actor;
    const record: HostedActor = { proc: undefined, start: m, pending: [], calls: new Map(), open: new Map(), ready: false };
    this.actors.set(actorId, record);
    const died = (reason: string) => {
      if (this.actors.get(actorId) === record) this.actors.delete(actorId);
      this.toHead.push({ type: 'actor.died', actorId, attempt: m.attempt, reason });
    };
    try {
      const p = await this.spawnWorker(jobId, { RAYLAUNCH_ACTOR_ID: actorId });
      record.proc = p;
      p.child.once('exit', (code, signal) => died(p.fault ?? (code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`)));
    } catch (e) {
      died(`could not be started: ${(e as Error).message}`);
    }
  }

  private actorOf(p: WorkerProc): HostedActor | undefined {
    for (const a of this.actors.values()) if (a.proc === p) return a;
    return undefined;
  }

  /** Large values stay here and only their location travels; small ones go inline. */
  private keep(id: string, value: ObjectValue, jobId: string): ObjectValue {
    if (value.kind !== 'inline' || value.data.byteLength <= this.o.inlineLimit) return value;
    this.store.put(id, value.data, jobId);
    return { kind: 'stored', nodeId: this.o.nodeId, size: value.data.byteLength, address: this.objectAddress };
  }

  /** What the agent knows of a worker process, to stamp its messages with (worker-messages.ts). */
  private factsOf(p: WorkerProc): WorkerFacts {
    const actor = this.actorOf(p);
    return {
      clientId: p.clientId, jobId: p.jobId, nodeId: this.o.nodeId, pid: p.child.pid ?? 0, greeted: p.ready,
      task: p.running ? { taskId: p.running.task.taskId, attempt: p.running.attempt } : undefined,
      actor: actor ? { actorId: actor.start.actor.actorId, attempt: actor.start.attempt } : undefined,
      hasCall: (callId) => actor?.calls.has(callId) ?? false,
    };
  }

  /** One message of a worker process, stamped with what this agent knows of it (stamp() throws for what it may not send). */
  private fromWorker(p: WorkerProc, sent: Message): void {
    const m = stamp(sent, this.factsOf(p));
    if (!m) return;
    switch (m.type) {
      case 'hello': {
        this.toHead.push(m); // lets the head route this client's replies through us
        this.hellos.set(p.clientId, m);
        const actor = this.actorOf(p);
        if (!actor) return this.pool.markReady(p);
        p.ready = true;
        p.child.send([actor.start, ...actor.pending.splice(0)] satisfies Message[]);
        return;
      }
      case 'actor.done': {
        // The result belongs to the caller's job (a detached actor outlives the job that made it).
        const actor = this.actorOf(p);
        const jobId = actor?.calls.get(m.callId) ?? p.jobId;
        actor?.calls.delete(m.callId);
        this.toHead.push({ ...m, value: this.keep(`${m.callId}.r`, m.value, jobId) });
        return;
      }
      case 'task.done': {
        const run = p.running as MessageOf<'task.run'>; // stamp() checked it runs this task
        this.pool.finished(p);
        this.toHead.push({ ...m, value: this.keep(run.task.returnId, m.value, run.task.jobId) });
        return;
      }
      case 'put':
        this.toHead.push({ ...m, value: this.keep(m.id, m.value, m.jobId) });
        return;
      case 'object.pull':
        this.settle(this.pull(m, p.jobId).then((data) => {
          if (data === 'relay' || !p.child.connected) return;
          const file = data && data.byteLength > LARGE_BY_FILE ? this.handOver(m.id, data) : undefined;
          p.child.send([{ type: 'object.data', reqId: m.reqId, client: m.client, id: m.id, data: file ? null : data, ...(file ? { file } : {}) }] satisfies Message[]);
        }), `fetching object ${m.id} for worker process ${p.child.pid ?? '?'}`);
        return;
      case 'task.blocked':
      case 'task.unblocked':
        this.pool.setBlocked(p, m.type === 'task.blocked');
        this.toHead.push(m);
        return;
      case 'fetch': {
        const ids = this.fetches.get(p.clientId) ?? new Set<string>();
        for (const id of m.ids) ids.add(id);
        this.fetches.set(p.clientId, ids);
        this.toHead.push(m);
        return;
      }
      case 'actor.ready': {
        const actor = this.actorOf(p);
        if (actor) actor.ready = true;
        this.toHead.push(m);
        return;
      }
      default:
        this.toHead.push(m);
    }
  }

  /**
   * Large objects reach a local worker process as a file in shared memory: one copy in and one out, where the
   * IPC channel would serialize, pipe and reassemble them (several times slower for 100 MB).
   */
  private handOver(id: string, data: Uint8Array): string | undefined {
    try {
      return this.files.write(`${id.replace(/[^\w.-]/g, '_')}.${this.reqSeq++}`, data);
    } catch {
      return undefined; // no shared memory here: the IPC channel still works
    }
  }

  /**
   * An object for a worker process here: from this node's store, else straight from the node that holds it
   * (kept here afterwards, so the node fetches it once), at the address the head gave for that node id: the
   * token goes to no address a task names. Only if that node is unknown here or cannot be reached is the head
   * asked to relay it. The copy is dropped with the asking worker's job: kept for no job, every fetched object would
   * stay in memory for the node's lifetime.
   */
  private async pull(m: MessageOf<'object.pull'>, jobId: string): Promise<Uint8Array | null | 'relay'> {
    const local = this.store.get(m.id);
    if (local) return local;
    if (m.nodeId === this.o.nodeId) return null;
    const address = this.objectServers.get(m.nodeId);
    try {
      if (address === undefined) throw new Error(`node ${m.nodeId} is not known here`);
      const data = await this.fetcher.fetch(address, m.id, m.size);
      if (data) this.store.put(m.id, data, jobId);
      return data ?? null;
    } catch {
      this.toHead.push(m);
      return 'relay';
    }
  }

  /** A job's code, working directory and environment on this node's disk, fetched from the head once per job. */
  private ensureJob(jobId: string): Promise<JobFiles> {
    let p = this.jobs.get(jobId);
    if (!p) {
      p = (async () => {
        const reqId = this.reqSeq++;
        const reply = await new Promise<MessageOf<'job.bundle'>>((resolve) => {
          this.bundleRequests.set(reqId, resolve);
          this.toHead.push({ type: 'job.bundle.get', reqId, jobId });
        });
        return jobFiles(join(this.o.nodeDir, 'jobs'), reply, this.o.runtimeRoot, this.user);
      })();
      this.jobs.set(jobId, p);
      p.catch(() => this.jobs.delete(jobId));
    }
    return p;
  }

  private async spawnWorker(jobId: string, extraEnv: Record<string, string> = {}): Promise<WorkerProc> {
    const job = await this.ensureJob(jobId);
    const clientId = `${this.o.nodeId}.w${this.workerSeq++}`;
    const child = forkWorker({ job, jobId, clientId, nodeId: this.o.nodeId, nodeDir: this.o.nodeDir, inlineLimit: this.o.inlineLimit, user: this.user, extraEnv });
    const p: WorkerProc = { clientId, jobId, child, ready: false, running: undefined, blocked: false };
    child.once('exit', () => {
      this.hellos.delete(clientId);
      this.fetches.delete(clientId);
    });
    child.on('message', (value: unknown) => this.fromWorkerBatch(p, value));
    // A send to a process that just exited fails here (its exit handler reports it), not as an uncaught error.
    child.on('error', (e) => this.o.log(`worker process ${child.pid ?? '?'} (${clientId}): ${e.message}`));
    return p;
  }

  /**
   * What a worker process sent: user code runs there, so each batch is checked against the protocol and each
   * message handled in a boundary of its own. A bad one ends that process (its task fails as crashed, with the
   * reason), never the agent.
   */
  private fromWorkerBatch(p: WorkerProc, value: unknown): void {
    if (p.fault !== undefined) return;
    let msgs: Message[];
    try {
      msgs = checkMessages(value);
    } catch (e) {
      return this.dropWorker(p, `it sent ${(e as Error).message}`);
    }
    for (const m of msgs) {
      try {
        this.fromWorker(p, m);
      } catch (e) {
        if (e instanceof ForbiddenWorkerMessage) return this.dropWorker(p, `it sent ${e.message}`);
        return this.dropWorker(p, `its ${m.type} message failed here: ${(e as Error).message}`);
      }
    }
  }

  private dropWorker(p: WorkerProc, why: string): void {
    p.fault = `was killed by its agent: ${why}`;
    this.o.log(`killing worker process ${p.child.pid ?? '?'} (${p.clientId}, job ${p.jobId}): ${why}`);
    p.child.kill('SIGKILL');
  }

  get stats(): { processes: number; busy: number; queued: number; objects: number; bytes: number } {
    return { ...this.pool.stats, ...this.store.size };
  }
}

interface HostedActor {
  proc: WorkerProc | undefined;
  start: MessageOf<'actor.start'>;
  pending: Message[];
  calls: Map<string, string>;
  /** Calls given to it whose answer the head has not been sent yet (re-reported after a relink). */
  open: Map<string, MessageOf<'actor.run'>>;
  /** Its constructor returned (actor.ready went to the head). */
  ready: boolean;
}


export type { MessageOf };
