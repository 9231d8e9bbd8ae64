import type { Clock } from '../../src/common/clock.js';
import type { Identity } from '../../src/common/credentials.js';
import type { ClusterConfig } from '../../src/config/types.js';
import type { Peer } from '../../src/head/control-plane.js';
import type { GcsStore } from '../../src/head/gcs/store.js';
import { memoryStore } from '../../src/head/gcs/open.js';
import { authorize } from '../../src/head/authorize.js';
import { type AutoscalerControl, headHandlers, type HeadJobs } from '../../src/head/handlers.js';
import { Head } from '../../src/head/head.js';
import type { JobSink } from '../../src/head/jobs/job-manager.js';
import { ClusterReadModel } from '../../src/head/read-model.js';
import { Router } from '../../src/head/router.js';
import { Sessions, type SessionJobs } from '../../src/head/sessions.js';
import type { JobView, Message, Role } from '../../src/protocol/messages.js';

/** A connection as the head sees it: what the head sends it, and whether (and why) the head closed it. */
export class FakePeer implements Peer {
  private static seq = 0;
  readonly id = FakePeer.seq++;
  role: Role | undefined = undefined;
  clientId: string | undefined = undefined;
  nodeId: string | undefined = undefined;
  jobId: string | undefined = undefined;

  /** `identity`: who its credential says it is (default: the operator, who may be the CLI or a driver). */
  constructor(readonly identity: Identity = { kind: 'operator' }) {}

  readonly sent: Message[] = [];
  closedWith: string | undefined;

  send(m: Message): void {
    this.sent.push(m);
  }

  close(reason: string): void {
    this.closedWith = reason;
  }

  /** What the head sent of one type. */
  of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.sent.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }
}

/** The job manager as the head uses it, in memory: jobs are ids; a driver may attach to a running one. */
export class FakeJobs implements HeadJobs, SessionJobs {
  readonly running = new Set<string>();
  readonly drivers = new Map<string, Set<string>>();
  readonly disconnected: string[] = [];
  readonly stopped: string[] = [];
  private seq = 0;

  attachDriver(req: { jobId?: string; clientId: string }): { jobId: string; namespace: string; durable?: Promise<void> } | undefined {
    const jobId = req.jobId ?? `job-${this.seq++}`;
    if (req.jobId === undefined) this.running.add(jobId);
    if (!this.running.has(jobId)) return undefined;
    this.drivers.set(jobId, new Set([...(this.drivers.get(jobId) ?? []), req.clientId]));
    // A new job is durable at once, unless saves are held.
    return { jobId, namespace: jobId, ...(req.jobId === undefined && this.holdSaves ? { durable: this.saved() } : {}) };
  }

  driverDisconnected(clientId: string): void {
    this.disconnected.push(clientId);
    for (const d of this.drivers.values()) d.delete(clientId);
  }

  readonly exited: [string, number][] = [];

  driverExited(clientId: string, exitCode: number): void {
    this.exited.push([clientId, exitCode]);
    for (const d of this.drivers.values()) d.delete(clientId);
  }

  readonly refused: [string, string][] = [];

  driverRefused(clientId: string, why: string): void {
    this.refused.push([clientId, why]);
    for (const d of this.drivers.values()) d.delete(clientId);
  }

  driversOf(jobId: string): string[] {
    return [...(this.drivers.get(jobId) ?? [])];
  }

  follow(jobId: string, sink: JobSink): boolean {
    if (!this.running.has(jobId)) return false;
    sink.output('stdout', `output of ${jobId}\n`);
    return true;
  }

  unfollow(): void {}

  submit(): string {
    const jobId = `job-${this.seq++}`;
    this.running.add(jobId);
    return jobId;
  }

  /** While set, a job's record is not durable until releaseSaves(). */
  holdSaves = false;
  private readonly held: (() => void)[] = [];

  saved(): Promise<void> {
    return this.holdSaves ? new Promise((resolve) => this.held.push(resolve)) : Promise.resolve();
  }

  releaseSaves(): void {
    for (const r of this.held.splice(0)) r();
  }

  stop(jobId: string): void {
    this.stopped.push(jobId);
  }

  bundle(): Uint8Array | null {
    return null;
  }

  files(jobId: string): { env: Record<string, string>; namespace: string } {
    return { env: {}, namespace: jobId };
  }

  list(): JobView[] {
    return [...this.running].map((jobId) => ({ jobId, name: jobId, state: 'RUNNING', exitCode: null, startedAt: 0, endedAt: null }));
  }
}

export interface HarnessOptions {
  config: ClusterConfig;
  clock: Clock;
  headNodeId?: string;
  autoscaler?: AutoscalerControl;
  /** The GCS store (default: a fresh memory store); a reopened one is a restarted head's. */
  store?: GcsStore;
}

/** A real head (Head, router, handlers, sessions, read model) with in-memory jobs and fake connections, as main.ts wires it. */
export function headHarness(o: HarnessOptions) {
  const saved: ClusterConfig[] = [];
  const head = new Head({
    clusterName: 'sim', headNodeId: o.headNodeId ?? 'head', config: o.config, clock: o.clock, store: o.store ?? memoryStore(),
    saveConfig: (c) => saved.push(c),
  });
  const jobs = new FakeJobs();
  const readModel = new ClusterReadModel({ clusterName: 'sim', address: 'head:1', cluster: head, jobs });
  const sessions = new Sessions({ head, jobs });
  const logged: string[] = [];
  const router = new Router({
    handlers: headHandlers({ head, sessions, jobs, readModel, ...(o.autoscaler ? { autoscaler: o.autoscaler } : {}) }),
    authorize: (peer, m) => authorize(peer, m, head.authFacts), frameDone: () => head.placeNow(), closed: (peer, refused) => sessions.closed(peer, refused), log: (line) => logged.push(line),
  });
  return { head, jobs, readModel, sessions, router, logged, saved };
}
