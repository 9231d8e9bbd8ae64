import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, printWarnings, resolveCluster } from '../cli/cluster-arg.js';
import { formatDown } from '../cli/format.js';
import { confirm } from '../cli/confirm.js';
import { clusterDir } from '../common/paths.js';
import { readClusterConfig } from '../launcher/cluster-state.js';
import { down, downWorkers, type DownResult } from '../launcher/down.js';
import { ConfirmationNeededError } from '../launcher/errors.js';
import { describeWork, type RunningWork, runningWork } from '../launcher/running-work.js';

export default class Down extends BaseCommand {
  static override summary = 'Stop every node of a cluster.';
  static override description = `Terminates the head and every worker (each node's whole process group; never by name), keeps \
the last run's logs and jobs aside (on SSH hosts: each job's driver.log and job.json are copied to this machine's \
jobs-last-run, and the jobs' code and working folders removed from the hosts), and forgets the operator's credential for it. On a terminal it first asks, naming the \
cluster, its provider and its running jobs (-y answers yes); without a terminal, a cluster named by CONFIG or -c \
goes down at once, and the default one (of the most recent up) only with -y. A cluster that does not exist is fine \
(exit 0), and a cluster whose head crashed is cleaned up from the provider's records.`;
  static override examples = [
    { description: 'Stop the example cluster.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml' },
    { description: 'Stop the cluster of the most recent up.', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Terminate the workers above min_workers; the head and min_workers stay.', command: '<%= config.bin %> <%= command.id %> cluster.yaml --workers-only --keep-min-workers' },
  ];
  static override args = { config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (or use -c NAME).', required: false }) };
  static override flags = {
    cluster: clusterFlag,
    yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.' }),
    'workers-only': Flags.boolean({ description: 'Terminate the workers and keep the head (its autoscaler brings min_workers back unless --keep-min-workers).' }),
    'keep-min-workers': Flags.boolean({ description: 'With --workers-only: keep each node type\'s min_workers (idle ones go first).', dependsOn: ['workers-only'] }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<DownResult> {
    const { args, flags } = await this.parse(Down);
    const target = await resolveCluster(args.config, flags.cluster);
    printWarnings(target.loaded);
    const workersOnly = flags['workers-only'] ? { keepMinWorkers: !!flags['keep-min-workers'] } : undefined;
    const named = args.config !== undefined || flags.cluster !== undefined;
    const result = workersOnly ? await downWorkers(target.name, workersOnly.keepMinWorkers) : await down(target.name, { work: await this.confirmDown(target.name, named, flags.yes), progress: (line) => { if (!this.jsonEnabled()) process.stderr.write(`${line}\n`); } });
    if (!this.jsonEnabled()) this.log(formatDown(result, workersOnly));
    // Hosts left unreached may still run raylaunch: the data is printed, and scripts see it in the exit code.
    if (result.unreachable.length > 0) process.exitCode = 1;
    return result;
  }

  /** Asks on a terminal; without one, only the default cluster (not named) needs -y. */
  private async confirmDown(name: string, named: boolean, yes: boolean): Promise<RunningWork | undefined> {
    const config = readClusterConfig(clusterDir(name));
    if (!config || yes) return undefined;
    const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
    if (named && !interactive) return undefined;
    const work = await runningWork(name);
    await confirm(`Take down cluster ${name} (${config.provider.type} provider; ${describeWork(work)})?`, {
      yes: false,
      needed: () => new ConfirmationNeededError(`down without CONFIG or -c NAME would take down cluster ${name}, the one of the most recent up`, {
        hint: `name it (raylaunch down -c ${name}) or add -y; raylaunch clusters lists the clusters this machine knows`,
      }),
    });
    return work;
  }
}
