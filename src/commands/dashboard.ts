import { Args, Flags } from '@oclif/core';
import { spawn } from 'node:child_process';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../cli/cluster-arg.js';
import { openDashboard } from '../dashboard/open.js';

/** The system's opener of links, where there is a desktop to open them on. */
function opener(): string | undefined {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'linux' && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) return 'xdg-open';
  return undefined;
}

export default class Dashboard extends BaseCommand {
  static override summary = 'Open the cluster\'s dashboard in a browser.';
  static override description = `Opens a port on this machine's loopback that reaches the head (through the SSH tunnel for \
clusters on other machines), prints a login link for it and opens it in the browser where there is one. The link \
carries a one-time code (it works once, within a minute) that the head trades for a session cookie; the cluster's \
credential never reaches the browser. Stays until Ctrl-C.`;
  static override examples = ['<%= config.bin %> <%= command.id %> example-configs/process.yaml', '<%= config.bin %> <%= command.id %> -c demo --port 8265 --no-browser'];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = {
    cluster: clusterFlag,
    port: Flags.integer({ description: 'The local port (default: any free one).', min: 0, max: 65535 }),
    browser: Flags.boolean({ description: 'Open the link in the browser (--no-browser: only print it).', default: true, allowNo: true }),
  };

  async run(): Promise<{ url: string }> {
    const { args, flags } = await this.parse(Dashboard);
    const { name } = await resolveCluster(args.config, flags.cluster);
    const dash = await openDashboard(name, flags.port !== undefined ? { port: flags.port } : {});
    this.log(`dashboard of cluster ${name}: ${dash.url}`);
    this.log('(the link logs in once, within a minute; run this again for a new one. Ctrl-C ends the dashboard.)');
    const open = flags.browser ? opener() : undefined;
    if (open) spawn(open, [dash.url], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await dash.close();
    return { url: dash.url };
  }
}
