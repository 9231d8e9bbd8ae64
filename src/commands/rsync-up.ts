import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag } from '../cli/cluster-arg.js';
import { rsyncArgs, runRsyncCommand } from '../cli/rsync-command.js';

export default class RsyncUp extends BaseCommand {
  static override summary = 'Copy files from this machine to the head (--all-nodes: and to every worker).';
  static override description = `Runs rsync -a from SOURCE here to TARGET on the head, through ssh with the cluster's key and \
pinned host key, leaving out what the cluster's rsync_exclude and rsync_filter leave out (a .gitignore'd file \
stays here). As with rsync, \`dir/\` copies the folder's contents and \`dir\` the folder itself; a relative TARGET is \
under the login user's home, and its parent folders are created. For the process provider TARGET is relative to \
the head's folder on this machine.`;
  static override usage = ['rsync-up [CONFIG] SOURCE TARGET [-c NAME] [--all-nodes]'];
  static override examples = [
    { description: 'A folder\'s contents into ~/project on the head.', command: '<%= config.bin %> <%= command.id %> cluster.yaml ./project/ project' },
    { description: 'A file to every node.', command: '<%= config.bin %> <%= command.id %> cluster.yaml data.csv data/data.csv --all-nodes' },
  ];
  static override args = rsyncArgs;
  static override flags = {
    cluster: clusterFlag,
    'all-nodes': Flags.boolean({ description: 'Copy to every ALIVE worker as well as the head.' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RsyncUp);
    await runRsyncCommand([...(argv as string[]), ...this.passthrough], { cluster: flags.cluster, direction: 'up', allNodes: flags['all-nodes'] });
  }
}
