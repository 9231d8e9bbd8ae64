import type { Clock } from '../../common/clock.js';
import type { JobState, JobView } from '../../protocol/messages.js';
import type { GcsStore } from '../gcs/store.js';
import type { DriverWatch } from './driver.js';
import type { JobLog } from './job-log.js';
import type { SubmissionInfo, UploadLimits } from './submission.js';

/** The job manager's shapes: what it is given, what it keeps of each job, where its output goes. */

export interface JobSink {
  /** `at`: where the text starts in the job's output, in characters (none: a note of the head's, not output). */
  output(stream: 'stdout' | 'stderr', text: string, at?: number): void;
  exit(state: JobState, exitCode: number | null): void;
  /** A snapshot (not following) of a running job is complete. */
  snapshotEnd?(state: JobState): void;
}

export interface Job {
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
  /** Its drivers connected now, by client id. */
  drivers: Set<string>;
  /** A driver started by hand (hand-driver.ts): no process of the head's, the job lives by its drivers' connections. */
  interactive: boolean;
  /** Drivers of a hand-started job whose connection went without their saying they ended: since when (ms). */
  away: Map<string, number>;
  /** Why the head closed a driver of it for what it sent (that driver is not waited for). */
  refused?: string;
  /** The exit code the last of its drivers that ended said it ended with. */
  saidExit?: number;
  /** Ends the job once its away drivers' grace is over, unless one came back. */
  graceTimer?: NodeJS.Timeout;
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
  /**
   * How long a hand-started job waits for a driver whose connection went (raylaunch.head_reconnect_timeout_s, the
   * window its driver reconnects in); default 60 s.
   */
  driverGraceMs?: number;
}

/** What the job manager needs of the head's credential table. */
export interface JobCredentials {
  /** A fresh credential that admits only the driver of this job; `saved` resolves once a restarted head would admit it too. */
  mint(jobId: string): { secret: string; saved: Promise<void> };
  revoke(jobId: string): void;
}

/** The file in a job's folder that hands its driver the job credential; the driver removes it as it reads it. */
export const CREDENTIAL_FILE = 'credential';
