import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster, splitConfig } from '../cli/cluster-arg.js';
import { UsageError } from '../common/errors.js';
import { headShell, runInherited } from '../launcher/shell.js';

export default class Exec extends BaseCommand {
  static override summary = 'Run one shell command on the head.';
  static override description = `Runs CMD with sh on the cluster's head (for the process provider: in the head's folder on this \
machine, with the cluster's environment set). Its stdout and stderr pass through unchanged, nothing is printed \
after them, and raylaunch exits with the command's exit code.`;
  static override usage = ['exec [CONFIG] CMD [-c NAME]', 'exec [CONFIG] -- CMD ARG…'];
  static override examples = [
    { description: 'Where the head runs.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml \'pwd; ls\'' },
    { description: 'Everything after -- is the command.', command: '<%= config.bin %> <%= command.id %> -c demo -- raylaunch status --json' },
  ];
  static override strict = false;
  static override flags = { cluster: clusterFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Exec);
    const { configArg, rest } = splitConfig(argv as string[]);
    if (rest.length === 0) throw new UsageError('missing the command to run', { hint: 'raylaunch exec [CONFIG] \'CMD\'  or  raylaunch exec [CONFIG] -- CMD ARG…' });
    const { name } = await resolveCluster(configArg, flags.cluster);
    const shell = headShell(name);
    const code = await runInherited('/bin/sh', ['-c', rest.join(' ')], shell);
    this.exit(code);
  }
}
