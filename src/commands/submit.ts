import { Args, Flags } from '@oclif/core';
import { basename } from 'node:path';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, printWarnings, resolveCluster } from '../cli/cluster-arg.js';
import { UsageError } from '../common/errors.js';
import { bundleJob } from '../launcher/bundle.js';
import { isConfigArg } from '../launcher/cluster-state.js';
import { Session } from '../launcher/session.js';
import type { JobState } from '../protocol/messages.js';

export interface SubmitResult { cluster_name: string; job_id: string; state: JobState | 'SUBMITTED'; exit_code: number | null }

export default class Submit extends BaseCommand {
  static override summary = 'Run a TypeScript job on a cluster.';
  static override description = `Bundles JOB (a .ts or .js file and everything it imports, with esbuild), sends it to the \
cluster's head, which starts its driver, and streams the driver's output here; exits with the job's exit code. \
Arguments after -- go to the job (main() receives them). Ctrl-C (SIGINT) or SIGTERM stops the job and exits 130.`;
  static override examples = [
    { description: 'Run the example job on the example cluster.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml examples/hello.ts' },
    { description: 'Pass arguments to the job.', command: '<%= config.bin %> <%= command.id %> job.ts -- --rounds 3' },
  ];
  static override strict = false;
  static override args = {
    first: Args.string({ description: 'Cluster config YAML (optional; else -c NAME or the most recent up), then the job file.', required: true }),
    job: Args.string({ description: 'The job file, when CONFIG comes first.', required: false }),
  };
  static override flags = {
    cluster: clusterFlag,
    'no-wait': Flags.boolean({ description: 'Print the job id and return without streaming its output.' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<SubmitResult> {
    const { argv, flags } = await this.parse(Submit);
    const positionals = argv as string[];
    const configArg = isConfigArg(positionals[0]) ? positionals[0] : undefined;
    const rest = configArg ? positionals.slice(1) : positionals;
    const [jobFile, ...jobArgs] = rest;
    if (!jobFile) throw new UsageError('missing the job file', { hint: 'raylaunch submit [CONFIG] job.ts [-- args…]' });
    const target = await resolveCluster(configArg, flags.cluster);
    printWarnings(target.loaded);
    const bundle = await bundleJob(jobFile);
    const session = await Session.open(target.name);
    const jobId = await session.submitJob({ name: basename(jobFile), bundle, args: jobArgs, env: {} });
    if (flags['no-wait']) {
      await session.close();
      if (!this.jsonEnabled()) this.log(`${jobId}\n(see it with: raylaunch status -c ${target.name})`);
      return { cluster_name: target.name, job_id: jobId, state: 'SUBMITTED', exit_code: null };
    }
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      process.stderr.write(`\nraylaunch: stopping job ${jobId}\n`);
      session.stopJob(jobId);
      // The head reports the job STOPPED within its grace period; don't hang if it cannot.
      setTimeout(() => process.exit(130), 5000).unref();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const { state, exitCode } = await session.follow(jobId, (stream, text) => {
      if (!this.jsonEnabled()) (stream === 'stderr' ? process.stderr : process.stdout).write(text);
    });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await session.close();
    const result: SubmitResult = { cluster_name: target.name, job_id: jobId, state, exit_code: exitCode };
    if (interrupted) {
      if (this.jsonEnabled()) this.logJson(result);
      return this.exit(130);
    }
    if (state !== 'SUCCEEDED') {
      if (this.jsonEnabled()) this.logJson(result); // the exit below skips oclif's own printing of the result
      return this.exit(exitCode && exitCode > 0 ? exitCode : 1);
    }
    return result;
  }
}
