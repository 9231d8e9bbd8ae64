import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../cli/cluster-arg.js';
import { portFlag } from '../cli/ssh-flags.js';
import { UsageError } from '../common/errors.js';
import { runInherited } from '../launcher/shell.js';
import { attachArgs, headAccess, runSsh } from '../launcher/ssh-commands.js';

export default class Attach extends BaseCommand {
  static override summary = 'Open a shell on the head.';
  static override description = `Over SSH: the system ssh to the head with the cluster's key, trusting only the host key raylaunch \
pinned (a changed key is refused), in a terminal; --tmux or --screen attach to the head's most recent session or \
start one, and exit codes pass through. Commands piped in (echo 'nvidia-smi' | raylaunch attach) run in the head's \
login shell, as with ssh. For the process provider: your shell in the head's folder on this machine, \
with the cluster's environment set: \`raylaunch run job.ts\` there runs a job against the cluster with its driver \
started by hand, and \`raylaunch status\` or \`raylaunch job list\` need no arguments. Leave with exit.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> example-configs/process.yaml',
    { description: 'Back into the tmux session that exec --tmux started.', command: '<%= config.bin %> <%= command.id %> cluster.yaml --tmux' },
    { description: 'With the head\'s port 8265 at localhost:8265 here.', command: '<%= config.bin %> <%= command.id %> cluster.yaml -p 8265' },
  ];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = {
    cluster: clusterFlag,
    tmux: Flags.boolean({ description: 'Attach to the head\'s tmux session, starting one if there is none.', exclusive: ['screen'] }),
    screen: Flags.boolean({ description: 'Attach to the head\'s screen session (screen -xRR), starting one if there is none.' }),
    new: Flags.boolean({ description: 'With --tmux or --screen: always start a new session.' }),
    port: portFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Attach);
    if (flags.new && !flags.tmux && !flags.screen) throw new UsageError('--new goes with --tmux or --screen', { hint: 'raylaunch attach [CONFIG] --tmux --new' });
    const tty = process.stdin.isTTY === true;
    if (!tty && (flags.tmux || flags.screen)) throw new UsageError(`--${flags.tmux ? 'tmux' : 'screen'} needs a terminal, and stdin is not one`, { hint: 'pipe commands into plain raylaunch attach, or run them with raylaunch exec' });
    const { name } = await resolveCluster(args.config, flags.cluster);
    const access = headAccess(name);
    if (access.kind === 'ssh') {
      this.exit(await runSsh(attachArgs(access.head, { tmux: flags.tmux, screen: flags.screen, new: flags.new, ports: flags.port ?? [], tty })));
    }
    if (flags.tmux || flags.screen) throw new UsageError(`--${flags.tmux ? 'tmux' : 'screen'} is for clusters reached over SSH`, { hint: `the head of ${name} runs on this machine: start ${flags.tmux ? 'tmux' : 'screen'} here and attach in it` });
    const shell = access.shell;
    // Piped commands (`echo cmd | raylaunch attach`) run as in any shell reading its input, with nothing said around them.
    if (tty) process.stderr.write(`attached to cluster ${name} at ${shell.cwd}\n(raylaunch run job.ts runs a job here; exit leaves)\n`);
    const code = await runInherited(process.env.SHELL || '/bin/bash', [], { ...shell, env: { ...shell.env, PS1: `(${name}) \\w \\$ ` } });
    this.exit(code);
  }
}
