import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '../../protocol/messages.js';
import type { Table } from '../gcs/store.js';
import type { SubmissionInfo } from './submission.js';

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
  /**
   * A hand-started job's drivers (connected or away), by client id: a restarted head keeps the job RUNNING for
   * them to come back. Durable before such a driver hears its job's id (sessions.ts waits on `saved`).
   */
  clients?: string[];
  /** What a Jobs API submission said of itself (entrypoint, metadata): its GET shows them after a restart too. */
  submission?: SubmissionInfo;
}

export const viewOf = (r: JobView): JobView => ({
  jobId: r.jobId, name: r.name, state: r.state, exitCode: r.exitCode, startedAt: r.startedAt, endedAt: r.endedAt, ...(r.message !== undefined ? { message: r.message } : {}),
});

/** The records of earlier runs of the head: the GCS's, and job.json of folders it has no record of. */
export function earlierRecords(table: Pick<Table<JobRecord>, 'values'>, jobsDir: string): JobRecord[] {
  const records = new Map(table.values().map((r) => [r.jobId, r]));
  let ids: string[] = [];
  try {
    ids = readdirSync(jobsDir);
  } catch {
    // no jobs yet
  }
  for (const jobId of ids) {
    if (records.has(jobId)) continue;
    const dir = join(jobsDir, jobId);
    try {
      const view = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as JobView;
      records.set(jobId, { ...viewOf(view), namespace: jobId, dir, env: {}, hasWorkingDir: false, interactive: false });
    } catch {
      // a folder without a readable record is not a job of ours
    }
  }
  return [...records.values()];
}
