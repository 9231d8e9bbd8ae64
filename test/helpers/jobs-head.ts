import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardedServer } from '../../src/common/admission.js';
import type { Identity } from '../../src/common/credentials.js';
import { headHttp } from '../../src/head/http/routes.js';
import type { JobsBackend } from '../../src/head/http/jobs.js';
import type { JobRecord, JobSink, SubmissionInfo } from '../../src/head/jobs/job-manager.js';
import { JobIdTaken, RefusedSubmission } from '../../src/head/jobs/submission.js';
import type { JobState } from '../../src/protocol/messages.js';

export const OPERATOR = 'Bearer operator-secret';

type Submitted = Parameters<JobsBackend['submit']>[0];

/**
 * A hand-written job manager for the Jobs API's routes: records in memory, output a test appends, a call log.
 * A job's driver is a test's `print` and `end`.
 */
export class FakeJobs implements JobsBackend {
  readonly jobs = new Map<string, { record: JobRecord; output: { stream: 'stdout' | 'stderr'; text: string }[]; followers: Set<JobSink> }>();
  readonly submitted: Submitted[] = [];
  readonly follows: { jobId: string; follow: boolean; from: number }[] = [];
  stopped: string[] = [];
  private seq = 0;

  add(jobId: string, o: Partial<JobRecord> = {}): void {
    const record: JobRecord = {
      jobId, name: 'job.ts', state: 'RUNNING', exitCode: null, startedAt: 1_700_000_000_000, endedAt: null,
      namespace: jobId, dir: join(tmpdir(), 'no-such-job-dir', jobId), env: {}, hasWorkingDir: false, interactive: false, ...o,
    };
    this.jobs.set(jobId, { record, output: [], followers: new Set() });
  }

  submit(req: Submitted): string {
    if (req.args.some((a) => a === 'refuse-me')) throw new RefusedSubmission('argument 1 is refused by the fake');
    const jobId = req.jobId ?? `job-${(this.seq++).toString(16).padStart(8, '0')}`;
    if (this.jobs.has(jobId)) throw new JobIdTaken(`submission_id ${jobId} is taken by another job: choose another, or leave it out`);
    this.submitted.push(req);
    this.add(jobId, { name: req.name, env: { ...req.env }, hasWorkingDir: req.workingDir !== undefined, ...(req.submission ? { submission: req.submission as SubmissionInfo } : {}) });
    return jobId;
  }

  record(jobId: string): JobRecord | undefined {
    return this.jobs.get(jobId)?.record;
  }

  records(): JobRecord[] {
    return [...this.jobs.values()].map((j) => j.record);
  }

  print(jobId: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const j = this.jobs.get(jobId);
    if (!j) throw new Error(`no job ${jobId}`);
    const at = j.output.reduce((n, o) => n + o.text.length, 0);
    j.output.push({ stream, text });
    for (const f of j.followers) f.output(stream, text, at);
  }

  end(jobId: string, state: JobState, exitCode: number | null): void {
    const j = this.jobs.get(jobId);
    if (!j) throw new Error(`no job ${jobId}`);
    Object.assign(j.record, { state, exitCode, endedAt: j.record.startedAt + 1500 });
    for (const f of j.followers) f.exit(state, exitCode);
    j.followers.clear();
  }

  follow(jobId: string, sink: JobSink, follow = true, from = 0): boolean {
    this.follows.push({ jobId, follow, from });
    const j = this.jobs.get(jobId);
    if (!j) return false;
    let at = 0;
    for (const o of j.output) {
      if (at + o.text.length > from) sink.output(o.stream, o.text.slice(Math.max(0, from - at)), Math.max(at, from));
      at += o.text.length;
    }
    if (j.record.endedAt !== null) sink.exit(j.record.state, j.record.exitCode);
    else if (follow) j.followers.add(sink);
    else sink.snapshotEnd?.(j.record.state);
    return true;
  }

  private unfollowed: (() => void)[] = [];

  unfollow(sink: JobSink): void {
    for (const j of this.jobs.values()) j.followers.delete(sink);
    for (const w of this.unfollowed.splice(0)) w();
  }

  /** Resolves at the next unfollow (a follower's socket closed). */
  nextUnfollow(): Promise<void> {
    return new Promise((resolve) => this.unfollowed.push(resolve));
  }

  followers(jobId: string): number {
    return this.jobs.get(jobId)?.followers.size ?? 0;
  }

  stop(jobId: string): void {
    this.stopped.push(jobId);
  }

  remove(jobId: string): 'removed' | 'running' | 'missing' {
    const j = this.jobs.get(jobId);
    if (!j) return 'missing';
    if (j.record.endedAt === null) return 'running';
    this.jobs.delete(jobId);
    return 'removed';
  }

  saved(): Promise<void> {
    return Promise.resolve();
  }
}

/** The head's HTTP routes over a FakeJobs on a loopback port, as the control plane's listener serves them. */
export class JobsHead {
  readonly jobs = new FakeJobs();
  readonly packagesDir = mkdtempSync(join(tmpdir(), 'raylaunch-packages-'));
  /** Every request line served, e.g. `PUT /api/packages/…`. */
  readonly requests: string[] = [];
  /** Called with each request line before the routes see the request. */
  onRequest: ((line: string) => void) | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(readonly packageLimitBytes = 1024 * 1024) {}

  get address(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const ids: Record<string, Identity> = { [OPERATOR]: { kind: 'operator' }, 'Bearer node-secret': { kind: 'node', nodeId: 'n1' } };
    const routes = headHttp({
      lookup: (h) => (h === undefined ? undefined : ids[h]), log: () => undefined,
      jobs: { jobs: this.jobs, packagesDir: this.packagesDir, packageLimitBytes: this.packageLimitBytes, headHost: '127.0.0.1' },
    });
    const server = createServer();
    server.on('request', (req) => {
      const line = `${req.method ?? ''} ${req.url ?? ''}`;
      this.requests.push(line);
      this.onRequest?.(line);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    guardedServer({ server, admit: () => undefined, refusedText: 'no', maxPayload: 1024, health: () => ({ ok: true }), accept: () => undefined, routes });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Drops every connection at once, as a head killed with kill -9 does. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  cleanup(): void {
    rmSync(this.packagesDir, { recursive: true, force: true });
  }
}
