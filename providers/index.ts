import { join } from 'node:path';
import type { ClusterConfig, LocalProviderConfig, ProviderType } from '../src/config/types.js';
import { ProviderConfigError } from './errors.js';
import { LOCAL_POOL_FILE } from './local/pool.js';
import type { NodeKind, NodeProvider } from './provider.js';

/** What a provider needs besides the config: where the cluster's state lives and how its nodes start. */
export interface ProviderContext {
  clusterName: string;
  /** ~/.raylaunch/clusters/<name> on the machine the provider runs on. */
  stateDir: string;
  /** Environment for node processes (state folder, head address): never a credential. */
  nodeEnv: Record<string, string>;
  /**
   * The head's provider only: mints the credential a new worker's agent connects with. The process provider
   * hands it to the node over its stdin pipe; nothing keeps it on disk.
   */
  nodeCredential?(nodeId: string): string;
  /**
   * The runtime's entry file for a node of this kind; it is started with `--kind <kind>` (the head's entry is
   * the supervisor, which keeps the head service and the head node's agent running).
   */
  entry(kind: NodeKind): string;
  /**
   * Set when the provider runs in the head service (its autoscaler's provider), unset on the user's machine
   * (`up`, `down`): a host pool then keeps its pool in a file there, the one the head's autoscaler writes.
   */
  onHead?: boolean;
}

/** The hosts a pool provider's config names: hosts that outlive the nodes raylaunch runs on them. */
export interface HostPool {
  workers: string[];
  /** The pool's file in the cluster's state folder on the head. */
  stateFile: string;
}

/**
 * What differs between provider types, in one place: how their nodes are reached and set up, and how the
 * provider is loaded. Everything else (the `up` pipeline, the autoscaler, `down`) is the same for every type.
 */
export interface ProviderKind {
  /** Nodes are reached over SSH and brought up by the node updater (all but `process`, whose nodes are processes here). */
  reachedOverSsh: boolean;
  /** The node updater installs Node.js where the image lacks it (clouds); on hosts the owner provisions, its absence is an error. */
  installsNode: boolean;
  /**
   * Set for a pool of hosts the config names. A terminated node's host keeps running, so raylaunch stops its own
   * processes there before handing it back; and `down` can reach every host when the head cannot be reached.
   */
  hostPool?(config: ClusterConfig): HostPool;
  /** The provider, loaded only when used (cloud SDKs take seconds to load). */
  load(config: ClusterConfig, ctx: ProviderContext): Promise<NodeProvider>;
  /**
   * Variables of this machine's environment the head's service gets too (an AWS endpoint override, never a
   * credential): the head's autoscaler must reach the same cloud API the CLI does.
   */
  headEnv?(env: NodeJS.ProcessEnv): Record<string, string>;
}

/** The AWS SDK's endpoint variables (the SDK reads them itself), the only ones passed on to the head. */
export const AWS_ENDPOINT_VARS = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL_IAM', 'AWS_ENDPOINT_URL_STS'] as const;

/**
 * gcloud's endpoint variable for the Compute API (the client library has none of its own), the only one passed on
 * to the head: the head's credentials come from its own metadata server, so GCE_METADATA_HOST is never passed.
 */
export const GCP_ENDPOINT_VARS = ['CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE'] as const;

/** The variables of `names` that `env` sets: what a cloud's head gets of this machine's environment. */
function passOn(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of names) if (env[k]) out[k] = env[k];
  return out;
}

export const PROVIDER_KINDS: Readonly<Record<ProviderType, ProviderKind>> = {
  process: {
    reachedOverSsh: false, installsNode: false,
    load: async (_config, ctx) => {
      const { ProcessProvider } = await import('./process/index.js');
      return new ProcessProvider({
        clusterName: ctx.clusterName,
        stateDir: ctx.stateDir,
        command: (kind, nodeType) => ({
          file: process.execPath,
          args: ['--enable-source-maps', ctx.entry(kind), '--kind', kind],
          // RAYLAUNCH_TEST_LAUNCH_HOLD: a test's hold on worker launches (process/starting.ts), which the head makes.
          env: { ...baseEnv(), ...passOn(process.env, ['RAYLAUNCH_TEST_LAUNCH_HOLD']), ...ctx.nodeEnv, RAYLAUNCH_NODE_TYPE: nodeType },
        }),
        ...(ctx.nodeCredential ? { credential: ctx.nodeCredential } : {}),
      });
    },
  },
  local: {
    reachedOverSsh: true, installsNode: false,
    hostPool: (config) => {
      const p = localSection(config);
      return { workers: p.worker_ips, stateFile: LOCAL_POOL_FILE };
    },
    load: async (config, ctx) => {
      const p = localSection(config);
      const { LocalProvider, FilePoolStore, MemoryPoolStore } = await import('./local/index.js');
      return new LocalProvider({
        clusterName: ctx.clusterName, headIp: p.head_ip, workerIps: p.worker_ips, typeHosts: typeHosts(config),
        ...(p.external_head_ip ? { externalHeadIp: p.external_head_ip } : {}),
        // The head host is the cluster's head wherever the provider runs: `up` finds it there to update it. The
        // worker pool is the head's; on the user's machine it stays empty.
        store: ctx.onHead ? new FilePoolStore(join(ctx.stateDir, LOCAL_POOL_FILE)) : new MemoryPoolStore(),
        head: { nodeType: config.head_node_type },
      });
    },
  },
  aws: {
    reachedOverSsh: true, installsNode: true,
    headEnv: (env) => passOn(env, AWS_ENDPOINT_VARS),
    load: async (config, ctx) => {
      const { AwsProvider, awsSection, loadAws } = await import('./aws/index.js');
      return new AwsProvider({ config, clients: await loadAws(awsSection(config)), stateDir: ctx.stateDir, onHead: ctx.onHead === true });
    },
  },
  gcp: {
    reachedOverSsh: true, installsNode: true,
    headEnv: (env) => passOn(env, GCP_ENDPOINT_VARS),
    load: async (config, ctx) => {
      const { GcpProvider, gcpSection, loadGcp } = await import('./gcp/index.js');
      return new GcpProvider({ config, clients: await loadGcp(gcpSection(config)), stateDir: ctx.stateDir, onHead: ctx.onHead === true });
    },
  },
};

/** The descriptor of a provider type; an unknown type (the config's schema refuses those) is a config error. */
export function providerKind(type: string): ProviderKind {
  const kind = (PROVIDER_KINDS as Record<string, ProviderKind | undefined>)[type];
  if (!kind) throw new ProviderConfigError(`unknown provider type "${type}"`, { hint: 'use one of: process, local, aws, gcp' });
  return kind;
}

/** The provider named by provider.type. */
export function createProvider(config: ClusterConfig, ctx: ProviderContext): Promise<NodeProvider> {
  return providerKind(config.provider.type).load(config, ctx);
}

function localSection(config: ClusterConfig): LocalProviderConfig {
  if (config.provider.type !== 'local') throw new ProviderConfigError(`a ${config.provider.type} provider section was given to the local provider`);
  return config.provider;
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
