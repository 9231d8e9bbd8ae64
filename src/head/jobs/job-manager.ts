import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import type { JobState, JobView } from '../../protocol/messages.js';
import type { GcsStore, Table } from '../gcs/store.js';
import { writeJobDir } from '../../worker/agent.js';

export interface JobSink {
  output(stream: 'stdout' | 'stderr', text: string): void;
  exit(state: JobState, exitCode: number | null): void;
}

interface Job {
  view: JobView;
  /** Where its named actors live unless they say otherwise (the driver's init({ namespace }), else the job id). */
  namespace: string;
  dir: string;
  driver: ChildProcess | undefined;
  drivers: Set<string>;
  interactive: boolean;
  output: { stream: 'stdout' | 'stderr'; text: string }[];
  outputBytes: number;
  log: WriteStream | undefined;
  followers: Set<JobSink>;
  stopping: boolean;
}

export interface JobManagerOptions {
  /** The head node's folder for jobs: <jobsDir>/<jobId>/job.mjs, driver.log. */
  jobsDir: string;
  runtimeRoot: string;
  headAddress: string;
  token: string;
  clock: Clock;
  store: GcsStore;
  /** A job ended (its driver exited or disconnected): cancel its work, free its objects. */
  onEnded(jobId: string): void;
}

const OUTPUT_KEPT = 4 * 1024 * 1024;
const STOP_GRACE_MS = 3000;

/**
 * Runs each submitted job's driver as a child process of the head and keeps its status, exit code, times and
 * output (on disk and for followers). A driver started by hand gets a job of its own while it is connected.
 */
export class JobManager {
  private readonly jobs = new Map<string, Job>();
  /** Job views, as the GCS job table keeps them (live handles stay in `jobs`). */
  private readonly table: Table<JobView>;

  constructor(private readonly o: JobManagerOptions) {
    this.table = o.store.table<JobView>('jobs');
  }

  private create(name: string, interactive: boolean): Job {
    const jobId = `job-${randomBytes(4).toString('hex')}`;
    const job: Job = {
      namespace: jobId,
      view: { jobId, name, state: 'PENDING', exitCode: null, startedAt: this.o.clock.now(), endedAt: null },
      dir: join(this.o.jobsDir, jobId), driver: undefined, drivers: new Set(), interactive, output: [], outputBytes: 0,
      log: undefined, followers: new Set(), stopping: false,
    };
    this.jobs.set(jobId, job);
    this.table.set(jobId, job.view);
    return job;
  }

  submit(req: { name: string; bundle: Uint8Array; args: string[]; env: Record<string, string> }): string {
    const job = this.create(req.name, false);
    writeJobDir(job.dir, req.bundle, this.o.runtimeRoot);
    job.log = createWriteStream(join(job.dir, 'driver.log'), { flags: 'a', mode: 0o600 });
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RAYLAUNCH_')) env[k] = v;
    const child = spawn(process.execPath, ['--enable-source-maps', join(job.dir, 'job.mjs'), ...req.args], {
      cwd: job.dir,
      env: { ...env, ...req.env, RAYLAUNCH_ADDRESS: this.o.headAddress, RAYLAUNCH_TOKEN: this.o.token, RAYLAUNCH_JOB_ID: job.view.jobId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    job.driver = child;
    job.view.state = 'RUNNING';
    this.table.set(job.view.jobId, job.view);
    child.stdout.on('data', (d: Buffer) => this.append(job, 'stdout', d.toString()));
    child.stderr.on('data', (d: Buffer) => this.append(job, 'stderr', d.toString()));
    child.on('error', (e) => this.append(job, 'stderr', `raylaunch: the driver could not be started: ${e.message}\n`));
    child.on('close', (code, signal) => {
      const state: JobState = job.stopping ? 'STOPPED' : code === 0 ? 'SUCCEEDED' : 'FAILED';
      if (signal && !job.stopping) this.append(job, 'stderr', `raylaunch: the driver was killed by ${signal}\n`);
      this.end(job, state, code);
    });
    return job.view.jobId;
  }

  private append(job: Job, stream: 'stdout' | 'stderr', text: string): void {
    job.log?.write(text);
    job.output.push({ stream, text });
    job.outputBytes += text.length;
    while (job.outputBytes > OUTPUT_KEPT && job.output.length > 1) job.outputBytes -= job.output.shift()?.text.length ?? 0;
    for (const f of job.followers) f.output(stream, text);
  }

  private end(job: Job, state: JobState, exitCode: number | null): void {
    if (job.view.endedAt !== null) return;
    job.view.state = state;
    job.view.exitCode = exitCode;
    job.view.endedAt = this.o.clock.now();
    this.table.set(job.view.jobId, job.view);
    job.log?.end();
    for (const f of job.followers) f.exit(state, exitCode);
    job.followers.clear();
    this.o.onEnded(job.view.jobId);
  }

  /** A driver connected: to its submitted job, or (started by hand) to a new job of its own. */
  attachDriver(req: { jobId?: string; clientId: string; bundle?: Uint8Array; name?: string; namespace?: string }): { jobId: string; namespace: string } | undefined {
    const { jobId, clientId } = req;
    const job = jobId ? this.jobs.get(jobId) : this.create(req.name ?? 'interactive driver', true);
    if (!job || job.view.endedAt !== null) return undefined;
    if (req.namespace) job.namespace = req.namespace;
    if (!jobId && req.bundle) writeJobDir(job.dir, req.bundle, this.o.runtimeRoot);
    job.drivers.add(clientId);
    if (job.interactive) {
      job.view.state = 'RUNNING';
      this.table.set(job.view.jobId, job.view);
    }
    return { jobId: job.view.jobId, namespace: job.namespace };
  }

  driverDisconnected(clientId: string): void {
    for (const job of this.jobs.values()) {
      if (!job.drivers.delete(clientId)) continue;
      if (job.interactive && job.drivers.size === 0) this.end(job, 'SUCCEEDED', 0);
    }
  }

  driversOf(jobId: string): string[] {
    return [...(this.jobs.get(jobId)?.drivers ?? [])];
  }

  /** Sends a job's output so far, then as it comes, then its exit. */
  follow(jobId: string, sink: JobSink): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    for (const o of job.output) sink.output(o.stream, o.text);
    if (job.view.endedAt !== null) sink.exit(job.view.state, job.view.exitCode);
    else job.followers.add(sink);
    return true;
  }

  unfollow(sink: JobSink): void {
    for (const job of this.jobs.values()) job.followers.delete(sink);
  }

  /** Stops a job's driver: SIGTERM, then SIGKILL after a grace period. */
  stop(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!job || job.view.endedAt !== null) return;
    job.stopping = true;
    if (!job.driver) return this.end(job, 'STOPPED', null);
    job.driver.kill('SIGTERM');
    const driver = job.driver;
    setTimeout(() => { if (driver.exitCode === null && driver.signalCode === null) driver.kill('SIGKILL'); }, STOP_GRACE_MS).unref();
  }

  stopAll(): void {
    for (const job of this.jobs.values()) this.stop(job.view.jobId);
  }

  bundle(jobId: string): Uint8Array | null {
    const job = this.jobs.get(jobId);
    if (!job) return null;
    try {
      return readFileSync(join(job.dir, 'job.mjs'));
    } catch {
      return null;
    }
  }

  namespaceOf(jobId: string): string {
    return this.jobs.get(jobId)?.namespace ?? jobId;
  }

  isRunning(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    return job !== undefined && job.view.endedAt === null;
  }

  list(): JobView[] {
    return this.table.values().map((v) => ({ ...v }));
  }
}
