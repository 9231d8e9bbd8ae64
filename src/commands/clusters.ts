import { BaseCommand } from '../cli/base-command.js';
import { formatClusters } from '../cli/format.js';
import { listClusters } from '../launcher/clusters.js';
import type { KnownCluster } from '../launcher/known-clusters.js';
import { useColour } from '../cli/colour.js';

export interface ClustersResult { clusters: KnownCluster[] }

export default class Clusters extends BaseCommand {
  static override summary = 'List the clusters this machine knows.';
  static override description = `Lists every cluster started from this machine (~/.raylaunch/clusters, or RAYLAUNCH_HOME): its \
provider, state (UP: its head answers; UNREACHABLE: it should be up but its head does not answer; INIT: up began and \
the head never came up; DOWN: taken down, its last run's logs and jobs kept), head address, live nodes and age. The \
one marked * is the default of commands run without CONFIG or -c (the most recent up).`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override enableJsonFlag = true;

  async run(): Promise<ClustersResult> {
    await this.parse(Clusters);
    const result = { clusters: await listClusters() };
    if (!this.jsonEnabled()) this.log(formatClusters(result.clusters, Date.now(), useColour(process.stdout)));
    return result;
  }
}
