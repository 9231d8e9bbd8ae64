import type { DriverInfo, JobDetails } from '../../jobs-client/types.js';
import type { JobRecord } from '../jobs/job-manager.js';

/** Ray's status message for each state. */
function message(r: JobRecord): string {
  switch (r.state) {
    case 'PENDING': return 'Job has not started yet.';
    case 'RUNNING': return 'Job is currently running.';
    case 'SUCCEEDED': return 'Job finished successfully.';
    case 'STOPPED': return 'Job was intentionally stopped.';
    case 'FAILED': return r.exitCode !== null
      ? `Job failed: its driver exited with code ${r.exitCode}; its logs say why.`
      : 'Job failed: its driver ended without an exit code (it could not start, was killed, or ended with the head); its logs say why.';
  }
}

/** Why a job failed, as a kind a program can act on (Ray's JOB_ENTRYPOINT_COMMAND_ERROR for an exit code). */
function errorType(r: JobRecord): string | null {
  if (r.state !== 'FAILED') return null;
  return r.exitCode !== null ? 'JOB_ENTRYPOINT_COMMAND_ERROR' : 'JOB_DRIVER_DIED';
}

/** A job record as the Jobs API shows it (Ray's JobDetails). Pure: the driver's pid is read by the caller. */
export function jobDetails(r: JobRecord, driver: DriverInfo | null): JobDetails {
  const s = r.submission;
  return {
    type: r.interactive ? 'DRIVER' : 'SUBMISSION',
    job_id: r.jobId,
    submission_id: r.interactive ? null : r.jobId,
    name: r.name,
    status: r.state,
    entrypoint: s?.entrypoint ?? (r.interactive ? '' : r.name),
    message: message(r),
    error_type: errorType(r),
    start_time: r.startedAt,
    end_time: r.endedAt,
    metadata: s?.metadata ?? {},
    runtime_env: { ...(s?.workingDir ? { working_dir: s.workingDir } : {}), env_vars: { ...r.env } },
    driver_exit_code: r.exitCode,
    driver_info: driver,
  };
}
