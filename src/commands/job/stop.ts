import { BaseCommand } from '../../cli/base-command.js';
import { clusterFlag, jobIdArg, resolveCluster, splitConfig } from '../../cli/cluster-arg.js';
import { JobNotFoundError } from '../../launcher/errors.js';
import { withJobsClient } from '../../launcher/head-endpoint.js';
import { type JobDetails, JobNotFoundError as NoSuchJob } from '../../jobs-client/index.js';
import type { JobState } from '../../protocol/messages.js';
import { pollUntil } from '../../common/wait.js';

export default class JobStop extends BaseCommand {
  static override summary = 'Stop a running job.';
  static override description = `Stops JOB_ID's driver (SIGTERM, then SIGKILL after a grace period); its queued tasks are \
cancelled, its actors (but detached ones) killed and its objects freed. Stopping a job that already ended is fine.`;
  static override usage = 'job stop [CONFIG] JOB_ID [--json] [-c NAME]';
  static override examples = ['<%= config.bin %> job stop job-1a2b3c4d'];
  static override strict = false;
  static override flags = { cluster: clusterFlag };
  static override enableJsonFlag = true;

  async run(): Promise<{ job_id: string; status: JobState }> {
    const { argv, flags } = await this.parse(JobStop);
    const { configArg, rest } = splitConfig(argv as string[]);
    const jobId = jobIdArg(rest, 'stop');
    const { name } = await resolveCluster(configArg, flags.cluster);
    const now = await withJobsClient(name, async (client) => {
      try {
        await client.stopJob(jobId);
      } catch (e) {
        if (e instanceof NoSuchJob) throw new JobNotFoundError(`no job ${jobId} on cluster ${name}`, { hint: 'list the jobs with raylaunch job list' });
        throw e;
      }
      let job: JobDetails | undefined;
      // The head reports the job's end within its stop grace period; after 10 s, say where it stands.
      await pollUntil(async () => {
        job = await client.getJobInfo(jobId);
        return job.end_time === null ? undefined : true;
      }, { timeoutMs: 10_000, every: 100 });
      return job ?? await client.getJobInfo(jobId);
    });
    if (!this.jsonEnabled()) this.log(`${jobId} ${now.status}`);
    return { job_id: jobId, status: now.status };
  }
}
