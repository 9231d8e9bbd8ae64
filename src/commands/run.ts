import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster, splitConfig } from '../cli/cluster-arg.js';
import { UsageError } from '../common/errors.js';
import { bundleJob } from '../launcher/bundle.js';
import { typecheck, typecheckFlag } from '../cli/typecheck-flag.js';
import { headShell, runDriver } from '../launcher/shell.js';
import { clusterFromFlagOrLast, readOperatorCredential } from '../launcher/cluster-state.js';

export default class Run extends BaseCommand {
  static override summary = 'Run a job\'s driver here, by hand, against a cluster.';
  static override description = `Bundles JOB like submit does and starts its driver here, in this terminal, instead of on the \
head: handy inside raylaunch attach, or to debug a driver with your own tools. It joins the cluster named by \
CONFIG or -c NAME, or else RAYLAUNCH_CLUSTER (an attach shell sets it), or else the last cluster started here. The \
driver connects with the operator's credential of this machine, handed to it in a 0600 file it removes on \
reading. Output goes straight to this terminal; the exit code is the job's.`;
  static override usage = 'run [CONFIG] JOB [-- ARGS…] [-c NAME]';
  static override examples = [
    { description: 'Inside raylaunch attach.', command: '<%= config.bin %> <%= command.id %> job.ts' },
    { description: 'From anywhere on the cluster\'s machine.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml job.ts -- 3' },
  ];
  static override strict = false;
  static override flags = { cluster: clusterFlag, typecheck: typecheckFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Run);
    const { configArg, rest } = splitConfig(argv as string[]);
    const [jobFile, ...jobArgs] = [...rest, ...this.passthrough];
    if (!jobFile) throw new UsageError('missing the job file', { hint: 'raylaunch run [CONFIG] job.ts [-- args…]' });
    // The job is checked first: a type error is the user's to fix whether or not a cluster runs.
    const bundle = await bundleJob(jobFile);
    typecheck(jobFile, flags.typecheck);
    const inShell = !configArg && !flags.cluster ? process.env.RAYLAUNCH_CLUSTER : undefined;
    const name = inShell ? clusterFromFlagOrLast(inShell) : (await resolveCluster(configArg, flags.cluster)).name;
    const { env } = headShell(name);
    this.exit(await runDriver(bundle, jobArgs, env, readOperatorCredential(name) ?? ''));
  }
}
