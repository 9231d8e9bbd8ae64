import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../cli/cluster-arg.js';
import { headIp } from '../launcher/ssh-commands.js';

export interface HeadIpResult { cluster_name: string; head_ip: string }

export default class GetHeadIp extends BaseCommand {
  static override summary = 'Print the head\'s address.';
  static override description = `Prints the address this machine reaches the head at: its SSH login host (for the local \
provider external_head_ip, else head_ip); 127.0.0.1 for the process provider.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> cluster.yaml',
    { description: 'Log in by hand.', command: 'ssh ubuntu@$(<%= config.bin %> <%= command.id %> cluster.yaml)' },
  ];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = { cluster: clusterFlag };
  static override enableJsonFlag = true;

  async run(): Promise<HeadIpResult> {
    const { args, flags } = await this.parse(GetHeadIp);
    const { name } = await resolveCluster(args.config, flags.cluster);
    const result = { cluster_name: name, head_ip: headIp(name) };
    if (!this.jsonEnabled()) this.log(result.head_ip);
    return result;
  }
}
