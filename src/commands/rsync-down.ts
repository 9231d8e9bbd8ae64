import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag } from '../cli/cluster-arg.js';
import { rsyncArgs, runRsyncCommand } from '../cli/rsync-command.js';

export default class RsyncDown extends BaseCommand {
  static override summary = 'Copy files from the head to this machine.';
  static override description = `Runs rsync -a from SOURCE on the head to TARGET here, through ssh with the cluster's key and \
pinned host key, leaving out what the cluster's rsync_exclude and rsync_filter leave out. As with rsync, \`dir/\` \
copies the folder's contents and \`dir\` the folder itself; a relative SOURCE is under the login user's home. For \
the process provider SOURCE is relative to the head's folder on this machine.`;
  static override usage = ['rsync-down [CONFIG] SOURCE TARGET [-c NAME]'];
  static override examples = [
    { description: 'The results folder from the head into ./results.', command: '<%= config.bin %> <%= command.id %> cluster.yaml results/ ./results' },
  ];
  static override args = rsyncArgs;
  static override flags = { cluster: clusterFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RsyncDown);
    await runRsyncCommand([...(argv as string[]), ...this.passthrough], { cluster: flags.cluster, direction: 'down', allNodes: false });
  }
}
