import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { clusterFlag, resolveCluster } from '../../cli/cluster-arg.js';
import { formatJobs } from '../../cli/format.js';
import type { JobJson } from '../../cli/status-json.js';
import { jobJsonOf, withJobsClient } from '../../launcher/head-endpoint.js';
import { useColour } from '../../cli/colour.js';

export default class JobList extends BaseCommand {
  static override summary = 'List a cluster\'s jobs.';
  static override description = 'Every job the cluster\'s head knows: id, state (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED), exit code, name, start time.';
  static override examples = ['<%= config.bin %> job list example-configs/process.yaml', '<%= config.bin %> job list -c demo --json'];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = { cluster: clusterFlag };
  static override enableJsonFlag = true;

  async run(): Promise<{ cluster_name: string; jobs: JobJson[] }> {
    const { args, flags } = await this.parse(JobList);
    const { name } = await resolveCluster(args.config, flags.cluster);
    const jobs = (await withJobsClient(name, (client) => client.listJobs())).map(jobJsonOf);
    if (!this.jsonEnabled()) this.log(formatJobs(jobs, useColour(process.stdout)));
    return { cluster_name: name, jobs };
  }
}
