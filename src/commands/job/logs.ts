import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { clusterFlag, jobIdArg, resolveCluster, splitConfig } from '../../cli/cluster-arg.js';
import { Session } from '../../launcher/session.js';
import type { JobState } from '../../protocol/messages.js';

export interface JobLogsResult { job_id: string; status: JobState; exit_code: number | null; output: { stream: 'stdout' | 'stderr'; text: string }[] }

export default class JobLogs extends BaseCommand {
  static override summary = 'Print a job\'s output (its driver\'s, with its tasks\' lines).';
  static override description = `Prints what JOB_ID printed so far, stdout to stdout and stderr to stderr; with --follow, keeps \
printing until the job ends and then exits with the job's exit code.`;
  static override usage = 'job logs [CONFIG] JOB_ID [--follow] [--json] [-c NAME]';
  static override examples = ['<%= config.bin %> job logs job-1a2b3c4d', '<%= config.bin %> job logs -c demo job-1a2b3c4d --follow'];
  static override strict = false;
  static override flags = {
    cluster: clusterFlag,
    follow: Flags.boolean({ char: 'f', description: 'Keep printing until the job ends; exit with its exit code.' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<JobLogsResult> {
    const { argv, flags } = await this.parse(JobLogs);
    const { configArg, rest } = splitConfig(argv as string[]);
    const jobId = jobIdArg(rest, 'logs');
    const { name } = await resolveCluster(configArg, flags.cluster);
    const session = await Session.open(name);
    const output: JobLogsResult['output'] = [];
    try {
      const { state, exitCode } = await session.follow(jobId, (stream, text) => {
        if (this.jsonEnabled()) output.push({ stream, text });
        else (stream === 'stderr' ? process.stderr : process.stdout).write(text);
      }, flags.follow === true);
      const result: JobLogsResult = { job_id: jobId, status: state, exit_code: exitCode, output };
      if (flags.follow && state !== 'SUCCEEDED') {
        if (this.jsonEnabled()) this.logJson(result);
        return this.exit(exitCode && exitCode > 0 ? exitCode : 1);
      }
      return result;
    } finally {
      await session.close();
    }
  }
}
