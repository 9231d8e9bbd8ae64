import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type PackedFile, writeFiles } from '../../common/pack.js';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import type { JobState, JobView } from '../../protocol/messages.js';
import { type GcsStore, type Table, writeBehind } from '../gcs/store.js';
import { runtimeEntry } from '../../common/package-root.js';
import { writeJobDir } from '../../worker/job-files.js';
import { pollUntil } from '../../common/wait.js';
import { readStatSync } from '../../../providers/process/proc.js';
import { checkSubmission, DEFAULT_UPLOAD_LIMITS, JobIdTaken, type Submission, type UploadLimits } from './submission.js';
import { JobLog, trimLog } from './job-log.js';
import { type DriverEnd, driverAlive, type DriverRecord, DriverWatch, readDriverRecord, saveDriverRecord, startDriver } from './driver.js';

export interface JobSink {
  /** `at`: where the text starts in the job's output, in characters (none: a note of the head's, not output). */
  output(stream: 'stdout' | 'stderr', text: string, at?: number): void;
  exit(state: JobState, exitCode: number | null): void;
  /** A snapshot (not following) of a running job is complete. */
  snapshotEnd?(state: JobState): void;
}

/** User variables for a job; raylaunch's own stay raylaunch's. */
function userEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('RAYLAUNCH_')));
}

interface Job {
  view: JobView;
  /** --env K=V of the submission, for the driver and every worker process of the job. */
  env: Record<string, string>;
  /** The packed --working-dir, if any (on disk in the job's folder). */
  hasWorkingDir: boolean;
  /** Where its named actors live unless they say otherwise (the driver's init({ namespace }), else the job id). */
  namespace: string;
  dir: string;
  /** The detached driver this head follows (one it started, or one a head before it started). */
  driver: DriverWatch | undefined;
  /** Its record's offsets are saved once per turn of output. */
  savingOffsets?: boolean;
  drivers: Set<string>;
  interactive: boolean;
  output: { stream: 'stdout' | 'stderr'; text: string }[];
  outputBytes: number;
  /** Characters of output no longer kept in memory (the log file has them). */
  dropped: number;
  log: JobLog | undefined;
  followers: Set<JobSink>;
  stopping: boolean;
  /** Reloaded from an earlier run of the head: its output is only in driver.log. */
  onDisk?: boolean;
  /** Resolves when the job's latest record is durable in the GCS. */
  saved: Promise<void>;
  submission?: SubmissionInfo;
}

/** What a job submitted through the Jobs API was asked with, kept to be shown with it. */
export interface SubmissionInfo {
  entrypoint: string;
  metadata: Record<string, string>;
  /** The working directory's package URI. */
  workingDir?: string;
}

/**
 * What the GCS keeps of a job: its view (id, name, state, exit code, times), its submission's settings and where
 * its folder is (bundle, driver.log). A new job's record is durable before the submitter hears its id (handlers.ts
 * waits on `saved`); later changes (RUNNING, the end and exit code) are written behind, since job.json in the
 * job's folder has them too and a restarted head reconciles a job it finds unfinished.
 */
export interface JobRecord extends JobView {
  namespace: string;
  /** The job's folder: job.mjs, driver.log (its logs), working_dir.pack. */
  dir: string;
  env: Record<string, string>;
  hasWorkingDir: boolean;
  interactive: boolean;
  submission?: SubmissionInfo;
}

const viewOf = (r: JobView): JobView => ({ jobId: r.jobId, name: r.name, state: r.state, exitCode: r.exitCode, startedAt: r.startedAt, endedAt: r.endedAt });

export interface JobManagerOptions {
  /**
   * The cluster's folder for jobs: <jobsDir>/<jobId>/job.mjs, driver.log, job.json. It outlives the head
   * process, so a restarted head still lists earlier jobs and serves their logs.
   */
  jobsDir: string;
  runtimeRoot: string;
  headAddress: string;
  /** Job credentials: one minted per submitted job's driver, revoked when the job ends. */
  credentials: JobCredentials;
  clock: Clock;
  store: GcsStore;
  /** A job ended (its driver exited or disconnected): cancel its work, free its objects. */
  onEnded(jobId: string): void;
  /** What a submitted working directory may hold; default DEFAULT_UPLOAD_LIMITS. */
  uploadLimits?: UploadLimits;
}

/** What the job manager needs of the head's credential table. */
export interface JobCredentials {
  /** A fresh credential that admits only the driver of this job; `saved` resolves once a restarted head would admit it too. */
  mint(jobId: string): { secret: string; saved: Promise<void> };
  revoke(jobId: string): void;
}

/** The file in a job's folder that hands its driver the job credential; the driver removes it as it reads it. */
export const CREDENTIAL_FILE = 'credential';

const OUTPUT_KEPT = 4 * 1024 * 1024;
const STOP_GRACE_MS = 3000;

/**
 * Runs each submitted job's driver detached from the head (driver.ts) and keeps its status, exit code, times and
 * output (on disk and for followers). A driver started by hand gets a job of its own while it is connected.
 */
export class JobManager {
  private readonly jobs = new Map<string, Job>();
  /** Job records, as the GCS job table keeps them (live handles stay in `jobs`). */
  private readonly table: Table<JobRecord>;

  constructor(private readonly o: JobManagerOptions) {
    this.table = o.store.table<JobRecord>('jobs');
    this.reload();
  }

  /** The records of earlier runs of the head: the GCS's, and job.json of folders it has no record of. */
  private earlier(): JobRecord[] {
    const records = new Map(this.table.values().map((r) => [r.jobId, r]));
    let ids: string[] = [];
    try {
      ids = readdirSync(this.o.jobsDir);
    } catch {
      // no jobs yet
    }
    for (const jobId of ids) {
      if (records.has(jobId)) continue;
      const dir = join(this.o.jobsDir, jobId);
      try {
        const view = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as JobView;
        records.set(jobId, { ...viewOf(view), namespace: jobId, dir, env: {}, hasWorkingDir: false, interactive: false });
      } catch {
        // a folder without a readable record is not a job of ours
      }
    }
    return [...records.values()];
  }

  /**
   * Jobs of earlier runs of the head. One still RUNNING whose detached driver runs on (or ended while no head
   * watched) is followed again from where the last head left its output files; one without such a driver (an
   * interactive driver, or a head older than detached drivers) is FAILED, and its log says why. A clean shutdown
   * records its jobs as STOPPED first.
   */
  private reload(): void {
    for (const r of this.earlier()) {
      const { jobId, dir } = r;
      const view = viewOf(r); // the job's own copy: records in the table are frozen
      const job: Job = {
        view, env: { ...r.env }, hasWorkingDir: r.hasWorkingDir, namespace: r.namespace, dir, driver: undefined, drivers: new Set(), interactive: r.interactive,
        output: [], outputBytes: 0, dropped: 0, log: undefined, followers: new Set(), stopping: false, onDisk: true, saved: Promise.resolve(),
        ...(r.submission ? { submission: r.submission } : {}),
      };
      this.jobs.set(jobId, job);
      if (view.endedAt === null && this.reattach(job)) continue;
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
      dir: join(this.o.jobsDir, jobId), driver: undefined, drivers: new Set(), interactive, output: [], outputBytes: 0, dropped: 0,
      log: undefined, followers: new Set(), stopping: false, saved: Promise.resolve(),
      ...(o.submission ? { submission: o.submission } : {}),
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
    const job = this.create(req.name, false, { ...(req.jobId !== undefined ? { jobId: req.jobId } : {}), ...(req.submission ? { submission: req.submission } : {}) });
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

  /** A driver connected: to its submitted job, or (started by hand) to a new job of its own. */
  attachDriver(req: { jobId?: string; clientId: string; bundle?: Uint8Array; name?: string; namespace?: string }): { jobId: string; namespace: string } | undefined {
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
      job.view.state = 'RUNNING';
      this.save(job);
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

/** Signals a driver's process group, only while its leader is the process that started then (pids are recycled). */
function signalGroup(record: DriverRecord, signal: NodeJS.Signals): void {
  // The kernel reuses no pid that still names a group: with the pid free, -pid reaches only what is left of the
  // driver's group; with it taken by a newer process, that group is gone.
  const s = readStatSync(record.pid);
  if (s !== undefined && s.startTime !== record.startTime) return;
  try {
    process.kill(-record.pid, signal);
  } catch {
    // gone meanwhile
  }
}

/** A finished job's log as one piece of output (stdout and stderr were written to it interleaved). */
function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
