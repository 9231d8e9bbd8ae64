import { createProvider, providerKind } from '../../providers/index.js';
import type { NodeProvider } from '../../providers/provider.js';
import { runtimeEntry } from '../common/package-root.js';
import type { ClusterConfig } from '../config/types.js';

/** The provider as the CLI uses it (to start the head, and to tear everything down). */
export function cliProvider(config: ClusterConfig, dir: string): Promise<NodeProvider> {
  return createProvider(config, {
    clusterName: config.cluster_name,
    stateDir: dir,
    nodeEnv: { RAYLAUNCH_STATE_DIR: dir },
    entry: (kind) => runtimeEntry(kind === 'head' ? 'src/runtime/supervisor.js' : 'src/worker/main.js'),
  });
}

/** Whether the cluster's nodes are reached over SSH (every provider but process, whose nodes run here). */
export const reachedOverSsh = (config: ClusterConfig): boolean => providerKind(config.provider.type).reachedOverSsh;
