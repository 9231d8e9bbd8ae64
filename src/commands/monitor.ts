import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../cli/cluster-arg.js';
import { formatEvent } from '../cli/format.js';
import { Session } from '../launcher/session.js';

export default class Monitor extends BaseCommand {
  static override summary = 'Follow the autoscaler\'s decisions as they happen.';
  static override description = `Prints the autoscaler's recent events (launches, terminations with their reasons, back-offs, \
errors), then each new one as it happens, like \`ray monitor\`. Ctrl-C ends it.`;
  static override examples = ['<%= config.bin %> <%= command.id %> example-configs/process.yaml', '<%= config.bin %> <%= command.id %> -c demo --lines 50'];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = {
    cluster: clusterFlag,
    lines: Flags.integer({ description: 'How many past events to print first.', default: 20, min: 0 }),
    'exit-after': Flags.integer({ description: 'Stop after this many seconds (for scripts).', min: 1, hidden: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Monitor);
    const { name } = await resolveCluster(args.config, flags.cluster);
    const session = await Session.open(name);
    let last = -1;
    let first = true;
    const until = flags['exit-after'] ? Date.now() + flags['exit-after'] * 1000 : Infinity;
    try {
      while (Date.now() < until) {
        const a = (await session.status()).autoscaler;
        const events = (a?.events ?? []).filter((e) => e.seq > last);
        for (const e of first ? events.slice(-flags.lines) : events) this.log(formatEvent(e));
        if (events.length > 0) last = events[events.length - 1]?.seq ?? last;
        first = false;
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      await session.close();
    }
  }
}
