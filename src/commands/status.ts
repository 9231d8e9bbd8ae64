import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../cli/cluster-arg.js';
import { formatStatus } from '../cli/format.js';
import { statusJson, type StatusJson } from '../cli/status-json.js';
import { Session } from '../launcher/session.js';
import { useColour } from '../cli/colour.js';

export default class Status extends BaseCommand {
  static override summary = 'Show a cluster\'s nodes, resources, pending work and jobs.';
  static override description = `Asks the cluster's head for its nodes (type, state, resources used/total), the tasks it holds, \
pending demands (work waiting for room: what the autoscaler reacts to), infeasible requests (that no node type \
offers) and jobs.`;
  static override examples = [
    { description: 'Status of the example cluster.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml' },
    { description: 'As JSON (schemas/output/status.schema.json; snake_case keys, as Ray\'s).', command: '<%= config.bin %> <%= command.id %> -c demo --json | jq \'.nodes[].node_id\'' },
  ];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = { cluster: clusterFlag };
  static override enableJsonFlag = true;

  async run(): Promise<StatusJson> {
    const { args, flags } = await this.parse(Status);
    const { name } = await resolveCluster(args.config, flags.cluster);
    const session = await Session.open(name);
    try {
      const status = statusJson(await session.status());
      if (!this.jsonEnabled()) this.log(formatStatus(status, useColour(process.stdout)));
      return status;
    } finally {
      await session.close();
    }
  }
}
