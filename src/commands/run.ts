import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster, splitConfig } from '../cli/cluster-arg.js';
import { UsageError } from '../common/errors.js';
import { bundleJob } from '../launcher/bundle.js';
import { typecheck, typecheckFlag } from '../cli/typecheck-flag.js';
import { headShell, runDriver } from '../launcher/shell.js';

export default class Run extends BaseCommand {
  static override summary = 'Run a job\'s driver here, by hand, against a cluster.';
  static override description = `Bundles JOB like submit does and starts its driver here, in this terminal, instead of on the \
head: handy inside raylaunch attach, or to debug a driver with your own tools. It joins the cluster named by \
RAYLAUNCH_ADDRESS and RAYLAUNCH_TOKEN (an attach shell sets them), or else the cluster given by CONFIG or -c NAME. \
Output goes straight to this terminal; the exit code is the job's.`;
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
    let env: NodeJS.ProcessEnv = process.env;
    if (configArg || flags.cluster || !process.env.RAYLAUNCH_ADDRESS) {
      const { name } = await resolveCluster(configArg, flags.cluster);
      env = headShell(name).env;
    }
    const bundle = await bundleJob(jobFile);
    typecheck(jobFile, flags.typecheck);
    this.exit(await runDriver(bundle, jobArgs, env));
  }
}
