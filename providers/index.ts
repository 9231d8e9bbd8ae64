import type { ClusterConfig } from '../src/config/types.js';
import { ProviderConfigError } from './errors.js';
import type { NodeKind, NodeProvider } from './provider.js';

/** What a provider needs besides the config: where the cluster's state lives and how its nodes start. */
export interface ProviderContext {
  clusterName: string;
  /** ~/.raylaunch/clusters/<name> on the machine the provider runs on. */
  stateDir: string;
  /** Environment for node processes (head address, token file), without secrets in argv. */
  nodeEnv: Record<string, string>;
  /** The runtime's entry file for a node of this kind. */
  entry(kind: NodeKind): string;
}

/** The provider named by provider.type; each is loaded only when used (cloud SDKs are slow to load). */
export async function createProvider(config: ClusterConfig, ctx: ProviderContext): Promise<NodeProvider> {
  switch (config.provider.type) {
    case 'process': {
      const { ProcessProvider } = await import('./process/index.js');
      return new ProcessProvider({
        clusterName: ctx.clusterName,
        stateDir: ctx.stateDir,
        command: (kind, nodeType) => ({
          file: process.execPath,
          args: ['--enable-source-maps', ctx.entry(kind)],
          env: { ...baseEnv(), ...ctx.nodeEnv, RAYLAUNCH_NODE_TYPE: nodeType },
        }),
      });
    }
    default:
      throw new ProviderConfigError(`this version of raylaunch starts clusters with provider type process only; "${config.provider.type}" clusters cannot be started yet`, {
        hint: 'use provider: {type: process} to run a cluster on this machine; `raylaunch validate` checks the other providers\' configs',
      });
  }
}

/** The environment nodes inherit: this process's, minus raylaunch's own variables (they get theirs explicitly). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('RAYLAUNCH_')) env[k] = v;
  if (process.env.RAYLAUNCH_HOME) env.RAYLAUNCH_HOME = process.env.RAYLAUNCH_HOME;
  return env;
}
