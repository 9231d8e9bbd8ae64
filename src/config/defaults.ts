import { isRayServiceLine } from './support.js';
import type {
  AuthConfig, ClusterConfig, NodeTypeConfig, ProviderConfig, ProviderType, RaylaunchSettings,
} from './types.js';

type Raw = Record<string, unknown>;

/** Ray's local provider names its single implied node type this. */
export const LOCAL_NODE_TYPE = 'local.cluster.node';

interface ProviderDefaults {
  max_workers: number;
  head_node_type: string;
  available_node_types: Record<string, Partial<NodeTypeConfig> & Pick<NodeTypeConfig, 'resources' | 'node_config'>>;
  auth: AuthConfig;
  control_plane_port: number;
}

// Ray's defaults.yaml per provider, minus what only makes sense for Ray's Python runtime (pip installs,
// `ray start` commands): raylaunch installs and starts its own runtime.
const DEFAULTS: Record<ProviderType, ProviderDefaults> = {
  process: {
    max_workers: 2,
    head_node_type: 'ray.head.default',
    available_node_types: {
      'ray.head.default': { resources: { CPU: 1 }, node_config: {} },
      'ray.worker.default': { resources: { CPU: 2 }, node_config: {}, min_workers: 0 },
    },
    auth: {},
    control_plane_port: 0,
  },
  local: {
    max_workers: 0, // replaced by the number of worker_ips
    head_node_type: LOCAL_NODE_TYPE,
    available_node_types: {},
    auth: {},
    control_plane_port: 6380,
  },
  aws: {
    max_workers: 2,
    head_node_type: 'ray.head.default',
    available_node_types: {
      'ray.head.default': {
        resources: {},
        node_config: {
          InstanceType: 'm5.large',
          BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 256, VolumeType: 'gp3' } }],
        },
      },
      'ray.worker.default': {
        resources: {},
        min_workers: 0,
        node_config: { InstanceType: 'm5.large', InstanceMarketOptions: { MarketType: 'spot' } },
      },
    },
    auth: { ssh_user: 'ubuntu' },
    control_plane_port: 6380,
  },
  gcp: {
    max_workers: 2,
    head_node_type: 'ray_head_default',
    available_node_types: {
      // No sourceImage and no head CPU: `up` takes the newest ubuntu-os-cloud LTS image, the machine type's
      // resources, and CPU 0 for the head (it holds the cluster's cloud identity), as on AWS.
      ray_head_default: {
        resources: {},
        node_config: {
          machineType: 'n1-standard-2',
          disks: [{ boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { diskSizeGb: 50 } }],
        },
      },
      ray_worker_small: {
        resources: {},
        min_workers: 0,
        node_config: {
          machineType: 'n1-standard-2',
          disks: [{ boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { diskSizeGb: 50 } }],
          scheduling: [{ preemptible: true }],
        },
      },
    },
    auth: { ssh_user: 'ubuntu' },
    control_plane_port: 6380,
  },
};

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const record = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
// Defaults are also applied to configs the schema rejected (to report every problem at once): a value of the
// wrong type or range falls back to the default rather than producing knock-on errors.
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && v >= 0 ? v : fallback);
const count = (v: unknown, fallback: number): number => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : fallback);

/**
 * Applies defaults the way Ray's `prepare_config` does: a shallow merge of the provider's defaults under the
 * file's top-level keys (a block the file gives replaces the default block whole), setup commands merged into
 * head/worker setup, and per-type min/max workers filled in. Pure; the input has passed the schema.
 */
export function applyDefaults(raw: Raw): ClusterConfig {
  const provider = record(raw.provider);
  const type = provider.type as ProviderType;
  const d = DEFAULTS[type];
  const workerIps = strings(provider.worker_ips);

  const isLocalRayShape = type === 'local' && raw.available_node_types === undefined;
  const maxWorkers = count(raw.max_workers, type === 'local' ? workerIps.length : d.max_workers);
  const givenTypes = raw.available_node_types !== undefined ? record(raw.available_node_types) : undefined;
  const rawTypes: Raw = isLocalRayShape
    ? { [LOCAL_NODE_TYPE]: localImpliedType(raw, workerIps.length) }
    : givenTypes ?? d.available_node_types;
  // As in Ray, a file that gives its own node types but no head_node_type gets the provider's default name,
  // which the semantic checks then report as missing.
  const headType = typeof raw.head_node_type === 'string' ? raw.head_node_type : d.head_node_type;

  const nodeTypes: Record<string, NodeTypeConfig> = {};
  for (const [name, t] of Object.entries(rawTypes)) {
    const nt = record(t);
    nodeTypes[name] = {
      ...(nt as Partial<NodeTypeConfig>),
      node_config: record(nt.node_config),
      resources: record(nt.resources) as Record<string, number>,
      min_workers: count(nt.min_workers, 0),
      max_workers: count(nt.max_workers, name === headType ? 0 : maxWorkers),
    };
  }

  const setup = strings(raw.setup_commands);
  const rl = record(raw.raylaunch);
  const settings: RaylaunchSettings = {
    control_plane_port: count(rl.control_plane_port, d.control_plane_port),
    heartbeat_timeout_s: num(rl.heartbeat_timeout_s, 5),
    // As Ray's gcs_rpc_server_reconnect_timeout_s: a head restart shorter than this loses no node and no running job.
    head_reconnect_timeout_s: num(rl.head_reconnect_timeout_s, 60),
    autoscaler_interval_s: num(rl.autoscaler_interval_s, 1),
    node_start_timeout_s: num(rl.node_start_timeout_s, 300),
    inline_object_limit: count(rl.inline_object_limit, 100 * 1024),
    demand_batch_ms: count(rl.demand_batch_ms, 300),
    max_concurrent_launches: count(rl.max_concurrent_launches, 10),
    max_connections: count(rl.max_connections, 1024),
    max_message_mb: count(rl.max_message_mb, 256),
    max_upload_mb: count(rl.max_upload_mb, 100), // as submit's --max-upload-mb
    max_upload_files: count(rl.max_upload_files, 50_000),
    ...(typeof rl.ssh_ingress_cidr === 'string' ? { ssh_ingress_cidr: rl.ssh_ingress_cidr } : {}),
    ...(typeof rl.worker_user === 'string' ? { worker_user: rl.worker_user } : {}),
    // Every provider: a head restarted (by its supervisor, or by hand) finds its cluster as it left it.
    gcs_storage: typeof rl.gcs_storage === 'string' ? rl.gcs_storage : 'sqlite',
    ...(typeof rl.gcs_storage_password_file === 'string' ? { gcs_storage_password_file: rl.gcs_storage_password_file } : {}),
  };

  return {
    cluster_name: typeof raw.cluster_name === 'string' ? raw.cluster_name : 'default',
    max_workers: maxWorkers,
    upscaling_speed: num(raw.upscaling_speed, 1),
    idle_timeout_minutes: num(raw.idle_timeout_minutes, 5),
    provider: providerWithDefaults(provider, type),
    auth: raw.auth !== undefined ? { ...(d.auth.ssh_user ? { ssh_user: d.auth.ssh_user } : {}), ...record(raw.auth) } : { ...d.auth },
    head_node_type: headType,
    available_node_types: nodeTypes,
    file_mounts: record(raw.file_mounts) as Record<string, string>,
    cluster_synced_files: strings(raw.cluster_synced_files),
    file_mounts_sync_continuously: raw.file_mounts_sync_continuously === true,
    rsync_exclude: strings(raw.rsync_exclude),
    rsync_filter: strings(raw.rsync_filter),
    initialization_commands: strings(raw.initialization_commands),
    setup_commands: setup,
    head_setup_commands: [...setup, ...strings(raw.head_setup_commands)],
    worker_setup_commands: [...setup, ...strings(raw.worker_setup_commands)],
    head_start_ray_commands: strings(raw.head_start_ray_commands).filter((c) => !isRayServiceLine(c)),
    worker_start_ray_commands: strings(raw.worker_start_ray_commands).filter((c) => !isRayServiceLine(c)),
    raylaunch: settings,
  };
}

function localImpliedType(raw: Raw, hosts: number): NodeTypeConfig {
  // Ray's manual mode: min = max = len(worker_ips) unless the file says otherwise, both capped by the pool.
  const max = Math.min(count(raw.max_workers, hosts), hosts);
  return { resources: {}, node_config: {}, min_workers: Math.min(count(raw.min_workers, hosts), max), max_workers: max };
}

function providerWithDefaults(p: Raw, type: ProviderType): ProviderConfig {
  const known = (keys: readonly string[]) => Object.fromEntries(Object.entries(p).filter(([k]) => keys.includes(k)));
  switch (type) {
    case 'process':
      return known(['type', 'disable_launch_config_check']) as unknown as ProviderConfig;
    case 'local':
      return known(['type', 'head_ip', 'worker_ips', 'external_head_ip', 'disable_launch_config_check']) as unknown as ProviderConfig;
    case 'aws':
      return {
        // false, unlike Ray: stopped instances kept "for reuse" are how Ray clusters leak.
        cache_stopped_nodes: false, use_internal_ips: false,
        ...known(['type', 'region', 'availability_zone', 'cache_stopped_nodes', 'use_internal_ips', 'use_external_head_ip',
          'disable_launch_config_check', 'security_group', 'key_pair', 'aws_credentials']),
      } as unknown as ProviderConfig;
    case 'gcp':
      return {
        cache_stopped_nodes: false, use_internal_ips: false, project_id: null,
        ...known(['type', 'region', 'availability_zone', 'project_id', 'cache_stopped_nodes', 'use_internal_ips',
          'use_external_head_ip', 'disable_launch_config_check', 'gcp_credentials']),
      } as unknown as ProviderConfig;
  }
}
