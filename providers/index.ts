import type { ClusterConfig } from '../src/config/types.js';
import { ProviderConfigError } from './errors.js';
import { join } from 'node:path';
import type { CloudNode, NodeKind, NodeProvider } from './provider.js';

/** What a provider needs besides the config: where the cluster's state lives and how its nodes start. */
export interface ProviderContext {
  clusterName: string;
  /** ~/.raylaunch/clusters/<name> on the machine the provider runs on. */
  stateDir: string;
  /** Environment for node processes (head address, token file), without secrets in argv. */
  nodeEnv: Record<string, string>;
  /** The runtime's entry file for a node of this kind. */
  entry(kind: NodeKind): string;
  /** For providers whose nodes are reached over SSH (local, clouds): how a new node is set up and stopped. */
  nodeSetup?: {
    setUp(node: CloudNode): Promise<void>;
    stop(node: CloudNode): Promise<void>;
    onSetupFailed?(node: CloudNode, error: Error): void;
  };
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
    case 'local': {
      const setup = ctx.nodeSetup;
      if (!setup) throw new ProviderConfigError('the local provider runs on the head, which sets its hosts up over SSH');
      const { LocalProvider, FilePoolStore } = await import('./local/index.js');
      return new LocalProvider({
        clusterName: ctx.clusterName, headIp: config.provider.head_ip, workerIps: config.provider.worker_ips,
        store: new FilePoolStore(join(ctx.stateDir, 'local-pool.json')), head: { nodeType: config.head_node_type }, typeHosts: typeHosts(config), ...setup,
      });
    }
    default:
      throw new ProviderConfigError(`this version of raylaunch starts clusters with provider types process and local; "${config.provider.type}" clusters cannot be started yet`, {
        hint: 'use provider: {type: process} to run a cluster on this machine or {type: local} for your own hosts; `raylaunch validate` checks the cloud providers\' configs',
      });
  }
}

/** Ray's per-type node_config.worker_ips, for the types that restrict their hosts. */
function typeHosts(config: ClusterConfig): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, t] of Object.entries(config.available_node_types)) {
    const own = t.node_config.worker_ips;
    if (Array.isArray(own)) out[name] = own.map(String);
  }
  return out;
}

/** The environment nodes inherit: this process's, minus raylaunch's own variables (they get theirs explicitly). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('RAYLAUNCH_')) env[k] = v;
  if (process.env.RAYLAUNCH_HOME) env.RAYLAUNCH_HOME = process.env.RAYLAUNCH_HOME;
  return env;
}
