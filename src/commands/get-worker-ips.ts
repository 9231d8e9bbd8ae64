import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../cli/cluster-arg.js';
import { printable } from '../cli/printable.js';
import { aliveWorkers } from '../launcher/session.js';

export interface WorkerIpsResult { cluster_name: string; worker_ips: string[] }

export default class GetWorkerIps extends BaseCommand {
  static override summary = 'Print the addresses of the ALIVE workers, one per line.';
  static override description = `Asks the head which workers are ALIVE and prints each one's address (the host it runs on; \
127.0.0.1 for every worker of the process provider). Nothing when there are none.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> cluster.yaml',
    { description: 'As JSON.', command: '<%= config.bin %> <%= command.id %> -c demo --json' },
  ];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = { cluster: clusterFlag };
  static override enableJsonFlag = true;

  async run(): Promise<WorkerIpsResult> {
    const { args, flags } = await this.parse(GetWorkerIps);
    const { name } = await resolveCluster(args.config, flags.cluster);
    const result = { cluster_name: name, worker_ips: (await aliveWorkers(name)).map((n) => n.address) };
    if (!this.jsonEnabled()) for (const ip of result.worker_ips) this.log(printable(ip));
    return result;
  }
}
