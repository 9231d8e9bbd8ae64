import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../cli/cluster-arg.js';
import { headShell, runInherited } from '../launcher/shell.js';

export default class Attach extends BaseCommand {
  static override summary = 'Open a shell on the head.';
  static override description = `Opens your shell on the cluster's head (for the process provider: in the head's folder on this \
machine) with the cluster's environment set: \`raylaunch run job.ts\` there runs a job against the cluster with \
its driver started by hand, and \`raylaunch status\` or \`raylaunch job list\` need no arguments. Leave with exit.`;
  static override examples = ['<%= config.bin %> <%= command.id %> example-configs/process.yaml'];
  static override args = { config: Args.string({ description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = { cluster: clusterFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Attach);
    const { name } = await resolveCluster(args.config, flags.cluster);
    const shell = headShell(name);
    process.stderr.write(`attached to cluster ${name} at ${shell.cwd}\n(raylaunch run job.ts runs a job here; exit leaves)\n`);
    const code = await runInherited(process.env.SHELL || '/bin/bash', [], { ...shell, env: { ...shell.env, PS1: `(${name}) \\w \\$ ` } });
    this.exit(code);
  }
}
