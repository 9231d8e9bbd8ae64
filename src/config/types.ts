/**
 * The cluster config as raylaunch uses it, after defaults. Key names are Ray's, exactly as in the YAML, so one
 * vocabulary runs from file to code. A test checks that every key of schemas/*.schema.json appears here.
 */

export type ProviderType = 'process' | 'local' | 'aws' | 'gcp';
export const PROVIDER_TYPES: readonly ProviderType[] = ['process', 'local', 'aws', 'gcp'];

export type Resources = Record<string, number>;

export interface ClusterConfig {
  cluster_name: string;
  max_workers: number;
  upscaling_speed: number;
  idle_timeout_minutes: number;
  provider: ProviderConfig;
  auth: AuthConfig;
  head_node_type: string;
  available_node_types: Record<string, NodeTypeConfig>;
  file_mounts: Record<string, string>;
  cluster_synced_files: string[];
  file_mounts_sync_continuously: boolean;
  rsync_exclude: string[];
  rsync_filter: string[];
  initialization_commands: string[];
  setup_commands: string[];
  /** setup_commands followed by the file's head_setup_commands. */
  head_setup_commands: string[];
  /** setup_commands followed by the file's worker_setup_commands. */
  worker_setup_commands: string[];
  /** Without `ray start`/`ray stop` lines: raylaunch starts its head service after these. */
  head_start_ray_commands: string[];
  /** Without `ray start`/`ray stop` lines: raylaunch starts its agent after these. */
  worker_start_ray_commands: string[];
  raylaunch: RaylaunchSettings;
}

/**
 * Keys a file may hold that are accepted (with a warning, or as legacy input) but not carried into
 * ClusterConfig: they change nothing raylaunch does.
 */
export interface IgnoredTopLevelKeys {
  /** Legacy: the implied node type's min_workers with provider local; ignored elsewhere. */
  min_workers?: number;
  docker?: DockerConfig;
  metadata?: Record<string, unknown>;
  no_restart?: unknown;
}

export interface NodeTypeConfig {
  node_config: Record<string, unknown>;
  resources: Resources;
  min_workers: number;
  max_workers: number;
  labels?: Record<string, string>;
  initialization_commands?: string[];
  worker_setup_commands?: string[];
  docker?: NodeTypeDockerConfig;
  idle_timeout_s?: number | null;
}

export interface AuthConfig {
  ssh_user?: string;
  ssh_private_key?: string;
  ssh_public_key?: string;
  ssh_proxy_command?: string;
}

/** Ray's docker block; only an empty or disabled one is accepted for now. */
export interface DockerConfig {
  image?: string;
  container_name?: string;
  pull_before_run?: boolean;
  run_options?: unknown[];
  head_image?: string;
  head_run_options?: unknown[];
  worker_image?: string;
  worker_run_options?: unknown[];
  disable_automatic_runtime_detection?: boolean;
  disable_shm_size_detection?: boolean;
  use_podman?: boolean;
}

export interface NodeTypeDockerConfig {
  pull_before_run?: boolean;
  worker_image?: string;
  worker_run_options?: unknown[];
}

export interface RaylaunchSettings {
  control_plane_port: number;
  heartbeat_timeout_s: number;
  /** How long agents and drivers wait for a restarted head, and a restarted head for its agents, before giving up (seconds). */
  head_reconnect_timeout_s: number;
  autoscaler_interval_s: number;
  node_start_timeout_s: number;
  inline_object_limit: number;
  demand_batch_ms: number;
  max_concurrent_launches: number;
  /** Open connections the head's control plane takes. */
  max_connections: number;
  /** The largest message one peer may send the head (reassembled from 8 MiB chunks), in MiB. */
  max_message_mb: number;
  /** The most a job's working directory may hold (its files' bytes) when it reaches the head, in MiB. */
  max_upload_mb: number;
  /** The most files a job's working directory may hold when it reaches the head. */
  max_upload_files: number;
  ssh_ingress_cidr?: string;
  /** Where the agent runs as root: the unprivileged user its worker processes run as. */
  worker_user?: string;
  /** Where the head keeps the GCS: 'sqlite' (its state dir), 'memory' (dies with the head) or a redis:// URL. */
  gcs_storage: string;
  /** redis gcs_storage: a file on the head with the password. */
  gcs_storage_password_file?: string;
}

/** Keys every provider section accepts. */
interface ProviderCommon {
  disable_launch_config_check?: boolean;
}

export interface ProcessProviderConfig extends ProviderCommon {
  type: 'process';
}

export interface LocalProviderConfig extends ProviderCommon {
  type: 'local';
  head_ip: string;
  worker_ips: string[];
  external_head_ip?: string;
}

export interface CloudProviderCommon extends ProviderCommon {
  region: string;
  availability_zone?: string;
  cache_stopped_nodes: boolean;
  use_internal_ips: boolean;
  use_external_head_ip?: boolean;
}

export interface AwsProviderConfig extends CloudProviderCommon {
  type: 'aws';
  security_group?: { GroupName?: string; IpPermissions?: Record<string, unknown>[] };
  key_pair?: { key_name?: string };
  aws_credentials?: {
    aws_access_key_id?: string;
    aws_secret_access_key?: string;
    aws_session_token?: string;
    profile_name?: string;
    region_name?: string;
  };
}

export interface GcpProviderConfig extends CloudProviderCommon {
  type: 'gcp';
  availability_zone: string;
  project_id: string | null;
  gcp_credentials?: { type: 'credentials_token' | 'service_account'; credentials: string };
}

export type ProviderConfig = ProcessProviderConfig | LocalProviderConfig | AwsProviderConfig | GcpProviderConfig;

/**
 * Ray provider keys raylaunch accepts in the file but never acts on, or refuses: they are classified in
 * support.ts and not carried into ProviderConfig.
 */
export interface RayOnlyProviderKeys {
  coordinator_address?: string;
  list_of_node_ips?: unknown[];
  module?: string;
  disable_node_updaters?: boolean;
  foreground_node_launch?: boolean;
  worker_liveness_check?: boolean;
  worker_rpc_drain?: boolean;
  use_node_id_as_ip?: boolean;
  cloudwatch?: { agent?: object; dashboard?: object; alarm?: object };
  namespace?: string;
  autoscaler_service_account?: object;
  autoscaler_role?: object;
  autoscaler_role_binding?: object;
  location?: string;
  resource_group?: string;
  tags?: object;
  subscription_id?: string;
  msi_identity_id?: string;
  msi_identity_principal_id?: string;
  subnet_id?: string;
}

/** A setting the running head takes without a restart, with its old and new value. */
export interface LiveChange {
  path: string;
  from: unknown;
  to: unknown;
}
