import { Args, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { BaseCommand } from '../cli/base-command.js';
import { confirmRestart } from '../cli/confirm.js';
import { printWarnings } from '../cli/cluster-arg.js';
import { formatUp } from '../cli/format.js';
import { nodeProgress, type LogStyle } from '../cli/progress.js';
import { UsageError } from '../common/errors.js';
import { loadConfig } from '../config/load.js';
import { up, type UpResult } from '../launcher/up.js';

export default class Up extends BaseCommand {
  static override summary = 'Start a cluster from a config (or find it already running).';
  static override description = `Validates CONFIG, starts the head through the config's provider, and waits until it answers and \
every node type's min_workers have registered (or one of them failed, saying which step). Prints the cluster's \
address and what to run next. Running it again with the same config does nothing. With a changed config, the \
settings the running head takes live (max_workers, upscaling_speed, idle_timeout_minutes, each node type's \
min_workers and max_workers) are applied without a restart; any other change restarts the head, which ends its \
running jobs and actors: on a terminal up asks first, naming them, and without one it needs -y.`;
  static override examples = [
    { description: 'Start the example cluster on this machine.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml -y' },
  ];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Path of the cluster config YAML.', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation (to start the cluster, or to restart it for a changed config).' }),
    'no-wait-workers': Flags.boolean({ description: 'Return once the head is up, without waiting for min_workers.' }),
    'force-setup': Flags.boolean({ description: 'Sync files and run the setup commands again on the head, even when its runtime hash is unchanged.' }),
    'restart-only': Flags.boolean({ description: 'Restart raylaunch on the head without syncing files or running setup commands.', exclusive: ['force-setup'] }),
    'log-style': Flags.string({ description: 'Progress output: one live line per node on a terminal (auto), or plain lines.', options: ['auto', 'plain', 'pretty'], default: 'auto' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<UpResult> {
    const { args, flags } = await this.parse(Up);
    const loaded = await loadConfig(args.config, { missingFiles: 'error' });
    printWarnings(loaded);
    const c = loaded.config;
    if (!flags.yes && process.stdin.isTTY && process.stdout.isTTY && !this.jsonEnabled()) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`Start cluster ${c.cluster_name} (${c.provider.type} provider, head ${c.head_node_type})? [Y/n] `);
      rl.close();
      if (/^n/i.test(answer.trim())) throw new UsageError('cancelled; nothing was started');
    }
    const quiet = this.jsonEnabled();
    const progress = nodeProgress(process.stderr, flags['log-style'] as LogStyle);
    let result: UpResult;
    try {
      result = await up(c, {
        waitForWorkers: !flags['no-wait-workers'], forceSetup: flags['force-setup'], restartOnly: flags['restart-only'],
        confirmRestart: confirmRestart(c.cluster_name, flags.yes),
        progress: (line) => { if (!quiet) progress.line(line); },
        nodeStatus: (node, status, detail) => { if (!quiet) progress.node(node, status, detail); },
      });
    } finally {
      progress.done();
    }
    if (!this.jsonEnabled()) this.log(formatUp(result, args.config));
    return result;
  }
}
