import { Flags } from '@oclif/core';
import type { LoadedConfig } from '../config/load.js';
import { loadConfig } from '../config/load.js';
import { clusterFromFlagOrLast, isConfigArg } from '../launcher/cluster-state.js';
import { UsageError } from '../common/errors.js';
import { moreLine, renderProblem } from './render.js';
import { useColour } from './colour.js';

export const clusterFlag = Flags.string({ char: 'c', description: 'Cluster name (instead of CONFIG). Default: the cluster of the most recent `up`.', helpValue: 'NAME' });

/** Which cluster a command means: CONFIG (a .yaml first positional), -c NAME, or the most recent `up`. */
export async function resolveCluster(first: string | undefined, flag: string | undefined): Promise<{ name: string; loaded?: LoadedConfig }> {
  if (isConfigArg(first)) {
    const loaded = await loadConfig(first, { missingFiles: 'warning' });
    return { name: loaded.config.cluster_name, loaded };
  }
  return { name: clusterFromFlagOrLast(flag) };
}

export function printWarnings(loaded: LoadedConfig | undefined): void {
  if (!loaded) return;
  for (const w of loaded.warnings) process.stderr.write(`${renderProblem(w, useColour(process.stderr))}\n`);
  const more = moreLine(loaded.warningCount - loaded.warnings.length, 'warning');
  if (more) process.stderr.write(`${more}\n`);
}

/** `[CONFIG] ARG…`: the first positional is the cluster config only if it is YAML. */
export function splitConfig(argv: readonly string[]): { configArg: string | undefined; rest: string[] } {
  return isConfigArg(argv[0]) ? { configArg: argv[0], rest: argv.slice(1) } : { configArg: undefined, rest: [...argv] };
}

/** The job id of a `job …` command, or a usage error saying where it goes. */
export function jobIdArg(rest: readonly string[], command: string): string {
  const id = rest[0];
  if (!id) throw new UsageError('missing the job id', { hint: `raylaunch job ${command} [CONFIG] JOB_ID (raylaunch job list shows them)` });
  return id;
}
