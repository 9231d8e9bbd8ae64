import { BaseCommand } from '../../cli/base-command.js';
import { clusterFlag, jobIdArg, resolveCluster, splitConfig } from '../../cli/cluster-arg.js';
import { formatJobs } from '../../cli/format.js';
import { printable } from '../../cli/printable.js';
import type { JobJson } from '../../cli/status-json.js';
import { JobNotFoundError } from '../../launcher/errors.js';
import { jobJsonOf, withJobsClient } from '../../launcher/head-endpoint.js';
import { JobNotFoundError as NoSuchJob } from '../../jobs-client/index.js';
import { useColour } from '../../cli/colour.js';

export default class JobStatus extends BaseCommand {
  static override summary = 'Show one job\'s state and exit code.';
  static override description = 'State (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED), exit code, start and end time of JOB_ID, and why it ended where the exit code does not say (a driver started by hand that did not come back).';
  static override usage = 'job status [CONFIG] JOB_ID [--json] [-c NAME]';
  static override examples = [
    '<%= config.bin %> job status job-1a2b3c4d',
    { description: 'As JSON: job_id, name, status, exit_code, start_time, end_time and, when there is one, message (as Ray\'s Jobs API).', command: '<%= config.bin %> job status example-configs/process.yaml job-1a2b3c4d --json' },
  ];
  static override strict = false;
  static override flags = { cluster: clusterFlag };
  static override enableJsonFlag = true;

  async run(): Promise<JobJson> {
    const { argv, flags } = await this.parse(JobStatus);
    const { configArg, rest } = splitConfig(argv as string[]);
    const jobId = jobIdArg(rest, 'status');
    const { name } = await resolveCluster(configArg, flags.cluster);
    const job = await withJobsClient(name, (client) => client.getJobInfo(jobId).catch((e: unknown) => {
      if (e instanceof NoSuchJob) throw new JobNotFoundError(`no job ${jobId} on cluster ${name}`, { hint: 'list the jobs with raylaunch job list' });
      throw e;
    }));
    const result = jobJsonOf(job);
    if (!this.jsonEnabled()) this.log(formatJobs([result], useColour(process.stdout)) + (result.message !== undefined ? `\n${printable(result.message)}` : ''));
    return result;
  }
}
