import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type PackedFile, writeFiles } from '../../common/pack.js';
import { join } from 'node:path';
import type { JobState, JobView } from '../../protocol/messages.js';
import { type Table, writeBehind } from '../gcs/store.js';
import { runtimeEntry } from '../../common/package-root.js';
import { writeJobDir } from '../../worker/job-files.js';
import { pollUntil } from '../../common/wait.js';
import { checkSubmission, DEFAULT_UPLOAD_LIMITS, JobIdTaken, type Submission, type SubmissionInfo, userEnv } from './submission.js';
import { JobLog, readLog, trimLog } from './job-log.js';
import { signalGroup } from './signal-group.js';
import { type DriverEnd, driverAlive, type DriverRecord, DriverWatch, readDriverRecord, saveDriverRecord, startDriver } from './driver.js';
import { earlierRecords, type JobRecord, viewOf } from './job-record.js';
import { handJobFate } from './hand-driver.js';
import { CREDENTIAL_FILE, type Job, type JobManagerOptions, type JobSink } from './job-types.js';

export type { JobRecord } from './job-record.js';
export type { SubmissionInfo } from './submission.js';

export { CREDENTIAL_FILE, type JobCredentials, type JobManagerOptions, type JobSink } from './job-types.js';

const OUTPUT_KEPT = 4 * 1024 * 1024;
const STOP_GRACE_MS = 3000;

/**
 * Runs each submitted job's driver detached from the head (driver.ts) and keeps its status, exit code, times and
 * output (on disk and for followers). A driver started by hand gets a job of its own, which lives by its
 * connection (hand-driver.ts).
 */
export class JobManager {
  private readonly jobs = new Map<string, Job>();
  /** Job records, as the GCS job table keeps them (live handles stay in `jobs`). */
  private readonly table: Table<JobRecord>;

  constructor(private readonly o: JobManagerOptions) {
    this.table = o.store.table<JobRecord>('jobs');
    this.reload();
  }

  /**
   * Jobs of earlier runs of the head. One still RUNNING whose detached driver runs on (or ended while no head
   * watched) is followed again from where the last head left its output files; one without such a driver (an
   * interactive driver, or a head older than detached drivers) is FAILED, and its log says why. A clean shutdown
   * records its jobs as STOPPED first.
   */
  private reload(): void {
    for (const r of earlierRecords(this.table, this.o.jobsDir)) {
      const { jobId, dir } = r;
      const view = viewOf(r); // the job's own copy: records in the table are frozen
      const job: Job = {
        view, env: { ...r.env }, hasWorkingDir: r.hasWorkingDir, namespace: r.namespace, dir, driver: undefined, drivers: new Set(), interactive: r.interactive,
        away: new Map(), output: [], outputBytes: 0, dropped: 0, log: undefined, followers: new Set(), stopping: false, onDisk: true, saved: Promise.resolve(), submission: r.submission,
      };
      this.jobs.set(jobId, job);
      if (view.endedAt === null && this.reattach(job)) continue;
      if (view.endedAt === null && r.interactive && r.clients !== undefined && r.clients.length > 0) {
        this.awaitDrivers(job, r.clients);
        continue;
      }
      if (view.endedAt === null) {
        appendFileSync(join(dir, 'driver.log'), 'raylaunch: the head stopped while this job ran; its driver ended with it\n', { mode: 0o600 });
        view.state = 'FAILED';
        view.endedAt = this.o.clock.now();
      }
      // A job that ended while no head ran (or whose credential's removal was lost with its head) admits nobody.
      this.o.credentials.revoke(jobId);
      this.save(job);
    }
  }

  /** Follows the detached driver of a job that was running under an earlier head; false when it has none. */
  private reattach(job: Job): boolean {
    const record = readDriverRecord(job.dir);
    if (!record) return false;
    job.onDisk = false;
    // What the earlier head logged after it last saved the record is read again from the driver's files.
    if (record.logBytes !== undefined) trimLog(join(job.dir, 'driver.log'), record.logBytes);
    job.hasWorkingDir = existsSync(join(job.dir, 'working_dir.pack'));
    // What the earlier head logged is the start of this job's output for followers.
    const earlier = readLog(join(job.dir, 'driver.log'));
    if (earlier) {
      job.output.push({ stream: 'stdout', text: earlier.slice(-OUTPUT_KEPT) });
      job.outputBytes = Math.min(earlier.length, OUTPUT_KEPT);
      job.dropped = Math.max(0, earlier.length - OUTPUT_KEPT);
    }
    this.openLog(job);
    this.save(job);
    this.follow_(job, record);
    return true;
  }

  /** A hand-started job that ran under the last head: its drivers have their grace to come back to this one. */
  private awaitDrivers(job: Job, clients: readonly string[]): void {
    job.onDisk = false;
    const now = this.o.clock.now();
    for (const clientId of clients) job.away.set(clientId, now);
    this.decideHand(job);
  }

  /** Ends a hand-started job, or waits for its drivers, as hand-driver.ts decides now. */
  private decideHand(job: Job): void {
    if (!job.interactive || job.view.endedAt !== null) return;
    clearTimeout(job.graceTimer);
    job.graceTimer = undefined;
    const now = this.o.clock.now();
    const fate = handJobFate({ connected: job.drivers, away: job.away, exitCode: job.saidExit, refused: job.refused }, now, this.o.driverGraceMs ?? 60_000);
    if (fate.kind === 'running') return;
    if (fate.kind === 'waiting') {
      job.graceTimer = setTimeout(() => this.decideHand(job), Math.max(1, fate.until - now));
      job.graceTimer.unref();
      return;
    }
    if (fate.message !== undefined) {
      job.view.message = fate.message;
      this.append(job, 'stderr', `raylaunch: ${fate.message}\n`);
    }
    this.end(job, fate.state, fate.exitCode);
  }

  private openLog(job: Job): void {
    job.log = new JobLog(join(job.dir, 'driver.log'));
  }

  /** Follows a detached driver's output files and its end. */
  private follow_(job: Job, record: DriverRecord): void {
    const watch = new DriverWatch(job.dir, record, {
      output: (stream, text) => {
        this.append(job, stream, text);
        this.saveOffsets(job);
      },
      ended: (end) => this.driverEnded(job, end),
    });
    job.driver = watch;
    watch.start();
  }

  /** How far the driver's output was read, kept so that a head after this one goes on from there. */
  private saveOffsets(job: Job): void {
    if (job.savingOffsets) return;
    job.savingOffsets = true;
    setImmediate(() => {
      job.savingOffsets = false;
      if (job.driver) {
        try {
          if (job.log) job.driver.record.logBytes = job.log.bytes;
          saveDriverRecord(job.dir, job.driver.record);
        } catch {
          // at worst a later head reads some output again from an earlier offset
        }
      }
    });
  }

  private driverEnded(job: Job, end: DriverEnd): void {
    if (job.driver) saveDriverRecord(job.dir, job.driver.record);
    const state: JobState = job.stopping ? 'STOPPED' : end.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
    if (!job.stopping) {
      if (end.signal) this.append(job, 'stderr', `raylaunch: the driver was killed by ${end.signal}\n`);
      else if (end.vanished) this.append(job, 'stderr', 'raylaunch: the driver\'s process ended without an exit status (it was killed)\n');
    }
    this.end(job, state, end.exitCode);
  }

  /** The GCS table and the job's own record on disk. */
  private save(job: Job): void {
    const record: JobRecord = {
      ...job.view, namespace: job.namespace, dir: job.dir, env: { ...job.env }, hasWorkingDir: job.hasWorkingDir, interactive: job.interactive,
      ...(job.interactive ? { clients: [...job.drivers, ...job.away.keys()] } : {}),
      ...(job.submission ? { submission: job.submission } : {}),
    };
    job.saved = this.table.update(job.view.jobId, () => record);
    writeBehind(job.saved);
    try {
      writeFileSync(join(job.dir, 'job.json.tmp'), JSON.stringify(job.view), { mode: 0o600 });
      renameSync(join(job.dir, 'job.json.tmp'), join(job.dir, 'job.json'));
    } catch {
      // the folder of an interactive driver without a bundle does not exist: nothing of it is worth keeping
    }
  }

  private create(name: string, interactive: boolean, o: { jobId?: string; submission?: SubmissionInfo } = {}): Job {
    const jobId = o.jobId ?? `job-${randomBytes(4).toString('hex')}`;
    mkdirSync(join(this.o.jobsDir, jobId), { recursive: true, mode: 0o700 });
    const job: Job = {
      env: {}, hasWorkingDir: false,
      namespace: jobId,
      view: { jobId, name, state: 'PENDING', exitCode: null, startedAt: this.o.clock.now(), endedAt: null },
      dir: join(this.o.jobsDir, jobId), driver: undefined, drivers: new Set(), interactive, away: new Map(), output: [], outputBytes: 0, dropped: 0,
      log: undefined, followers: new Set(), stopping: false, saved: Promise.resolve(), submission: o.submission,
    };
    this.jobs.set(jobId, job);
    this.save(job);
    return job;
  }

  /**
   * Starts a submitted job's driver. A request the driver could not run as asked is refused before any job exists
   * (RefusedSubmission); a failure after that ends the job FAILED with the reason in its log, never half started.
   */
  submit(req: Submission & { name: string; bundle: Uint8Array; jobId?: string; submission?: SubmissionInfo }): string {
    const files = checkSubmission(req, this.o.uploadLimits ?? DEFAULT_UPLOAD_LIMITS);
    if (req.jobId !== undefined && (this.jobs.has(req.jobId) || existsSync(join(this.o.jobsDir, req.jobId)))) throw new JobIdTaken(`submission_id ${req.jobId} is taken by another job: choose another, or leave it out`);
    const job = this.create(req.name, false, req);
    try {
      this.start(job, req, files);
    } catch (e) {
      this.append(job, 'stderr', `raylaunch: the driver could not be started: ${(e as Error).message}\n`);
      this.end(job, 'FAILED', null);
    }
    return job.view.jobId;
  }

  private start(job: Job, req: Submission & { bundle: Uint8Array }, files: PackedFile[] | undefined): void {
    this.openLog(job);
    writeJobDir(job.dir, req.bundle, this.o.runtimeRoot);
    job.env = userEnv(req.env);
    let cwd = job.dir;
    if (req.workingDir && files) {
      writeFileSync(join(job.dir, 'working_dir.pack'), req.workingDir, { mode: 0o600 });
      cwd = join(job.dir, 'working_dir');
      writeFiles(files, cwd);
      job.hasWorkingDir = true;
    }
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RAYLAUNCH_')) env[k] = v;
    // A file, not the environment, which every child of the driver would inherit: the driver removes it at once.
    const credentialFile = join(job.dir, CREDENTIAL_FILE);
    const credential = this.o.credentials.mint(job.view.jobId);
    writeFileSync(credentialFile, credential.secret, { mode: 0o600, flag: 'wx' });
    const record = startDriver({
      dir: job.dir, cwd,
      env: { ...env, ...job.env, RAYLAUNCH_ADDRESS: this.o.headAddress, RAYLAUNCH_CREDENTIAL_FILE: credentialFile, RAYLAUNCH_JOB_ID: job.view.jobId },
      argv: [process.execPath, '--enable-source-maps', runtimeEntry('src/client/driver-process.js'), join(job.dir, 'job.mjs'), ...req.args],
    });
    job.view.state = 'RUNNING';
    this.save(job);
    // The submitter hears of the job (handlers.ts waits on `saved`) once its driver's credential is durable too.
    const recordSaved = job.saved;
    job.saved = Promise.all([recordSaved, credential.saved]).then(() => undefined);
    writeBehind(job.saved);
    this.follow_(job, record);
  }

  private append(job: Job, stream: 'stdout' | 'stderr', text: string): void {
    // A driver stopped at shutdown may still print after its job was recorded as ended.
    const at = job.dropped + job.outputBytes;
    job.log?.append(text);
    job.output.push({ stream, text });
    job.outputBytes += text.length;
    while (job.outputBytes > OUTPUT_KEPT && job.output.length > 1) {
      const gone = job.output.shift()?.text.length ?? 0;
      job.outputBytes -= gone;
      job.dropped += gone;
    }
    for (const f of job.followers) f.output(stream, text, at);
  }

  private end(job: Job, state: JobState, exitCode: number | null): void {
    if (job.view.endedAt !== null) return;
    job.view.state = state;
    job.view.exitCode = exitCode;
    job.view.endedAt = this.o.clock.now();
    clearTimeout(job.graceTimer);
    this.o.credentials.revoke(job.view.jobId);
    // A driver that died before reading its credential leaves it behind; it admits nobody now, but goes anyway.
    rmSync(join(job.dir, CREDENTIAL_FILE), { force: true });
    this.save(job);
    job.driver?.stop();
    job.log?.close();
    for (const f of job.followers) f.exit(state, exitCode);
    job.followers.clear();
    this.o.onEnded(job.view.jobId);
  }

  /**
   * A driver connected: to its submitted job, or (started by hand) to a new job of its own, or back to its
   * hand-started job after its connection went. A new job's record is durable once `durable` resolves.
   */
  attachDriver(req: { jobId?: string; clientId: string; bundle?: Uint8Array; name?: string; namespace?: string }): { jobId: string; namespace: string; durable?: Promise<void> } | undefined {
    const { jobId, clientId } = req;
    const job = jobId ? this.jobs.get(jobId) : this.create(req.name ?? 'interactive driver', true);
    if (!job || job.view.endedAt !== null) return undefined;
    if (req.namespace) job.namespace = req.namespace;
    if (!jobId && req.bundle) {
      try {
        writeJobDir(job.dir, req.bundle, this.o.runtimeRoot);
      } catch (e) {
        this.end(job, 'FAILED', null); // not left PENDING: the connection that asked is closed with the reason
        throw e;
      }
    }
    job.drivers.add(clientId);
    if (job.interactive) {
      job.away.delete(clientId);
      job.view.state = 'RUNNING';
      this.save(job);
      this.decideHand(job);
    }
    return { jobId: job.view.jobId, namespace: job.namespace, ...(jobId ? {} : { durable: job.saved }) };
  }

  /** A driver's connection went without its saying it ended: a hand-started job waits for it to come back. */
  driverDisconnected(clientId: string): void {
    for (const job of this.jobs.values()) {
      if (!job.drivers.delete(clientId) || !job.interactive) continue;
      job.away.set(clientId, this.o.clock.now());
      this.decideHand(job);
    }
  }

  /** The head closed a driver's connection for what it sent: its hand-started job does not wait for it. */
  driverRefused(clientId: string, why: string): void {
    for (const job of this.jobs.values()) {
      if (!job.drivers.delete(clientId) || !job.interactive) continue;
      job.refused = `the head closed the connection of its driver (client ${clientId}): ${why}`;
      this.decideHand(job);
    }
  }

  /**
   * A driver said it ends (driver.exit), before its connection closes: a hand-started job whose last driver it was
   * ends now, by its exit code. A submitted job ends by its driver's process, whatever it said.
   */
  driverExited(clientId: string, exitCode: number): void {
    for (const job of this.jobs.values()) {
      if (!job.drivers.delete(clientId) || !job.interactive) continue;
      job.saidExit = exitCode;
      this.decideHand(job);
      if (job.view.endedAt === null) this.save(job);
    }
  }

  driversOf(jobId: string): string[] {
    return [...(this.jobs.get(jobId)?.drivers ?? [])];
  }

  /**
   * Sends a job's output so far from character `from` on (a follower back after its connection dropped has the
   * rest), then (when following) as it comes, then its exit.
   */
  follow(jobId: string, sink: JobSink, follow = true, from = 0): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    if (job.onDisk) {
      const log = readLog(join(job.dir, 'driver.log'));
      if (log.length > from) sink.output('stdout', log.slice(from), from);
      sink.exit(job.view.state, job.view.exitCode);
      return true;
    }
    if (job.dropped > from) sink.output('stderr', `raylaunch: the first ${job.dropped} characters of this job's output are only in ${join(job.dir, 'driver.log')}\n`);
    let at = job.dropped;
    for (const o of job.output) {
      if (at + o.text.length > from) sink.output(o.stream, o.text.slice(Math.max(0, from - at)), Math.max(at, from));
      at += o.text.length;
    }
    if (job.view.endedAt !== null) sink.exit(job.view.state, job.view.exitCode);
    else if (follow) job.followers.add(sink);
    else sink.snapshotEnd?.(job.view.state);
    return true;
  }

  /** What worker processes of a job need besides its code: env, working directory, namespace. */
  files(jobId: string): { env: Record<string, string>; workingDir?: Uint8Array; namespace: string } {
    const job = this.jobs.get(jobId);
    if (!job) return { env: {}, namespace: jobId };
    let workingDir: Uint8Array | undefined;
    if (job.hasWorkingDir) {
      try {
        workingDir = readFileSync(join(job.dir, 'working_dir.pack'));
      } catch {
        workingDir = undefined;
      }
    }
    return { env: job.env, namespace: job.namespace, ...(workingDir ? { workingDir } : {}) };
  }

  unfollow(sink: JobSink): void {
    for (const job of this.jobs.values()) job.followers.delete(sink);
  }

  /** Stops a job's driver and whatever it started in its process group: SIGTERM, then SIGKILL after a grace period. */
  stop(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!job || job.view.endedAt !== null) return;
    job.stopping = true;
    if (!job.driver) return this.end(job, 'STOPPED', null);
    const { record } = job.driver;
    signalGroup(record, 'SIGTERM');
    setTimeout(() => signalGroup(record, 'SIGKILL'), STOP_GRACE_MS).unref();
  }

  /**
   * The head is shutting down (`down`, or `up` replacing it): every running job is stopped, and recorded as
   * STOPPED now, since the head will not be there to see its driver exit. Resolves once the drivers' groups are
   * gone, those still there after `graceMs` killed: detached, nothing else would end them.
   */
  async stopAll(graceMs = STOP_GRACE_MS): Promise<void> {
    const records: DriverRecord[] = [];
    for (const job of this.jobs.values()) {
      if (job.view.endedAt !== null) continue;
      if (job.driver) records.push(job.driver.record);
      this.stop(job.view.jobId);
      this.append(job, 'stderr', 'raylaunch: the job was stopped: the head is shutting down\n');
      this.end(job, 'STOPPED', null);
    }
    await pollUntil(() => (records.some((r) => driverAlive(r)) ? undefined : true), { timeoutMs: graceMs, every: 50 });
    for (const r of records) signalGroup(r, 'SIGKILL');
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
    return this.table.values().map(viewOf);
  }

  /** Each job's whole record (what the Jobs API shows). */
  records(): JobRecord[] {
    return this.table.values();
  }

  record(jobId: string): JobRecord | undefined {
    return this.table.get(jobId);
  }

  /** Forgets an ended job: its record, its folder and its logs. A running job is not removed (stop it first). */
  remove(jobId: string): 'removed' | 'running' | 'missing' {
    const job = this.jobs.get(jobId);
    if (!job) return 'missing';
    if (job.view.endedAt === null) return 'running';
    this.jobs.delete(jobId);
    writeBehind(this.table.update(jobId, () => undefined));
    rmSync(job.dir, { recursive: true, force: true });
    return 'removed';
  }

  /** Resolves when the job's latest record is durable (a submitter hears of a job only once it is). */
  saved(jobId: string): Promise<void> {
    return this.jobs.get(jobId)?.saved ?? Promise.resolve();
  }
}
