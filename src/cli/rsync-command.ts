import { Args } from '@oclif/core';
import { UsageError } from '../common/errors.js';
import { isConfigArg } from '../launcher/cluster-state.js';
import { rsyncCluster, type RsyncRequest, type RsyncResult } from '../launcher/rsync.js';
import { headAccess } from '../launcher/ssh-commands.js';
import { printWarnings, resolveCluster } from './cluster-arg.js';
import { printable } from './printable.js';

/** `[CONFIG] SOURCE TARGET`: oclif cannot make only the first optional, so all three are, and the count decides. */
export const rsyncArgs = {
  config: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (optional: or -c NAME, or the most recent up).', required: false }),
  source: Args.string({ ignoreStdin: true, description: 'What to copy.', required: false }),
  target: Args.string({ ignoreStdin: true, description: 'Where to copy it.', required: false }),
};

export async function runRsyncCommand(argv: readonly string[], o: { cluster: string | undefined; direction: RsyncRequest['direction']; allNodes: boolean }): Promise<RsyncResult> {
  const hint = `raylaunch rsync-${o.direction} [CONFIG] SOURCE TARGET (a .yaml first argument is CONFIG; with -c NAME and two arguments it is SOURCE)`;
  // as for every command, a .yaml first argument is the cluster config; -c NAME lets a .yaml file be copied
  const configArg = isConfigArg(argv[0]) && (argv.length === 3 || o.cluster === undefined) ? argv[0] : undefined;
  const [source, target] = configArg === undefined ? argv : argv.slice(1);
  if (source === undefined || target === undefined) throw new UsageError(`missing ${source === undefined ? 'SOURCE and TARGET' : 'TARGET'}`, { hint });
  if (argv.length === 3 && configArg === undefined) throw new UsageError(`${argv[0]} is not a cluster config (.yaml)`, { hint });
  const cluster = await resolveCluster(configArg, o.cluster);
  printWarnings(cluster.loaded);
  const access = headAccess(cluster.name);
  const filters = cluster.loaded?.config ?? access.config ?? { rsync_exclude: [], rsync_filter: [] };
  const result = await rsyncCluster(access, filters, { direction: o.direction, source, target, allNodes: o.allNodes });
  for (const c of result.copies) process.stderr.write(`copied ${printable(c.from)} → ${printable(c.to)}\n`);
  for (const s of result.skipped) process.stderr.write(`warning: not copied to ${printable(s.host)}: ${s.reason}\n`);
  return result;
}
