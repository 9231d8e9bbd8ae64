import type { Problem, Severity, YamlPath } from './problems.js';
import { PROVIDER_TYPES, type ProviderType } from './types.js';

/**
 * How raylaunch treats every key of Ray's cluster schema (and its own): supported, accepted with a warning, or
 * an error until supported. This table is the single source of the README's key table (npm run docs:keys) and
 * of the warnings and errors below; a test keeps it, the schemas, the types and the README in step.
 */
export interface KeyRule {
  /** Canonical key path: `docker.image`, `provider.region`, `available_node_types.<type>.labels`. */
  key: string;
  /** What the README's table says in its status column. */
  status: string;
  /** What the README's table says about the key. */
  note: string;
  /** Provider keys: the providers that use it. Elsewhere it is ignored with a warning. */
  providers?: readonly ProviderType[];
  /** Not in Ray's schema any more: recognised only to give a better message than "unknown key". */
  legacy?: boolean;
  /** Value-dependent verdict; undefined = nothing to say. */
  check?: (value: unknown, ctx: RuleContext) => Verdict | Verdict[] | undefined;
}

export interface RuleContext {
  providerType: string | undefined;
}

export interface Verdict {
  severity: Severity;
  message: string;
  hint?: string;
  /** Where below the key the verdict points (e.g. one line of a command list). */
  subPath?: YamlPath;
}

const SUPPORTED = 'supported';
const CLOUDS: readonly ProviderType[] = ['aws', 'gcp'];
const ALL: readonly ProviderType[] = PROVIDER_TYPES;

const warn = (message: string, hint?: string): Verdict => ({ severity: 'warning', message, ...(hint ? { hint } : {}) });
const fail = (message: string, hint: string): Verdict => ({ severity: 'error', message, hint });

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
const nonEmptyString = (v: unknown) => typeof v === 'string' && v.trim() !== '';

const NO_CONTAINERS_HINT =
  'remove the docker block: raylaunch runs setup and start commands on the host, and needs only Node.js 20 there';

function dockerVerdict(v: unknown): Verdict | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined; // the schema reports the type
  const d = v as Record<string, unknown>;
  const image = [d.image, d.head_image, d.worker_image].some(nonEmptyString);
  if (image && d.container_name === '') {
    return warn('docker is disabled by an empty container_name; the block is ignored', NO_CONTAINERS_HINT);
  }
  if (image) return fail('running nodes in Docker containers is not supported yet', NO_CONTAINERS_HINT);
  return warn('docker block without an image is ignored', 'raylaunch runs commands on the host; remove the block');
}

const RAY_SERVICE_LINE = /(^|[;&|(\s])ray\s+(start|stop)(\s|$)/;

/** A start-command line that starts or stops Ray's own services: raylaunch's service takes its place. */
export const isRayServiceLine = (line: string): boolean => RAY_SERVICE_LINE.test(line);

function startCommandsVerdict(role: 'head service' | 'agent') {
  return (v: unknown): Verdict[] => (Array.isArray(v) ? v : []).flatMap((c, i) => (typeof c === 'string' && isRayServiceLine(c)
    ? [{ ...warn(`\`ray start\`/\`ray stop\` is replaced by raylaunch's ${role}; the other lines run as written`), subPath: [i] }]
    : []));
}

const ignoredFor = (why: string, hint?: string) => () => warn(`ignored: ${why}`, hint);

// Keys that make a GCP node_config a TPU VM rather than a Compute Engine instance.
const TPU_KEYS = ['acceleratorType', 'acceleratorConfig', 'runtimeVersion', 'schedulingConfig', 'networkConfig'];

const PROVIDER_TYPE_NOTE = 'process (embedded default), local, aws, gcp; Ray\'s other types are an error until supported';
const RAY_ONLY_TYPES = [
  'azure', 'kubernetes', 'kuberay', 'aliyun', 'vsphere', 'readonly', 'fake_multinode', 'fake_multinode_docker',
  'spark', 'external',
];

export const KEY_RULES: readonly KeyRule[] = [
  { key: 'cluster_name', status: SUPPORTED, note: 'default `default`; letters, digits, `-`, `_` (gcp: lowercase)' },
  { key: 'max_workers', status: SUPPORTED, note: 'global cap on workers; default 2 (local: number of `worker_ips`)' },
  { key: 'upscaling_speed', status: SUPPORTED, note: 'default 1.0' },
  { key: 'idle_timeout_minutes', status: SUPPORTED, note: 'default 5' },
  {
    key: 'min_workers', status: 'supported (local); warning elsewhere', legacy: true,
    note: 'legacy top-level key: local\'s implied node type; ignored by other providers',
    check: (_v, ctx) => (ctx.providerType === 'local'
      ? undefined
      : warn(`a legacy top-level key, ignored by the ${ctx.providerType ?? 'this'} provider`, 'set min_workers on each node type under available_node_types')),
  },
  {
    key: 'provider', status: SUPPORTED, note: 'required; `provider.type` chooses the section schema',
  },
  { key: 'auth', status: SUPPORTED, note: 'SSH login for local, aws and gcp; unused by process' },
  {
    key: 'docker', status: 'warning or error', note: 'an empty block or empty `container_name` is ignored with a warning; an image is an error until supported',
    check: dockerVerdict,
  },
  { key: 'head_node_type', status: SUPPORTED, note: 'must name a key of `available_node_types`' },
  { key: 'available_node_types', status: SUPPORTED, note: 'default: the provider\'s two default types' },
  { key: 'file_mounts', status: SUPPORTED, note: 'remote path → local path; local paths are checked at `up` (a warning in `validate`)' },
  { key: 'cluster_synced_files', status: SUPPORTED, note: 'paths on the head copied to workers' },
  {
    key: 'file_mounts_sync_continuously', status: 'supported when false; error when true', note: 'continuous re-sync is not supported yet',
    check: (v) => (v === true ? fail('true is not supported yet', 'set it to false (or remove it): file mounts are synced when a node is set up') : undefined),
  },
  { key: 'rsync_exclude', status: SUPPORTED, note: 'rsync `--exclude` patterns' },
  { key: 'rsync_filter', status: SUPPORTED, note: 'per-directory filter files such as `.gitignore`' },
  {
    key: 'metadata', status: 'warning', note: 'free-form; not interpreted',
    check: () => warn('not interpreted by raylaunch'),
  },
  { key: 'initialization_commands', status: SUPPORTED, note: 'run first on each node' },
  { key: 'setup_commands', status: SUPPORTED, note: 'prepended to head and worker setup commands' },
  { key: 'head_setup_commands', status: SUPPORTED, note: 'after `setup_commands`, on the head' },
  { key: 'worker_setup_commands', status: SUPPORTED, note: 'after `setup_commands`, on workers' },
  {
    key: 'head_start_ray_commands', status: 'supported; warning for `ray` lines', note: '`ray start`/`ray stop` lines are replaced by raylaunch\'s head service; other lines run as written',
    check: startCommandsVerdict('head service'),
  },
  {
    key: 'worker_start_ray_commands', status: 'supported; warning for `ray` lines', note: '`ray start`/`ray stop` lines are replaced by raylaunch\'s agent; other lines run as written',
    check: startCommandsVerdict('agent'),
  },
  {
    key: 'no_restart', status: 'warning', note: 'internal to Ray (`ray up --no-restart`)',
    check: ignoredFor('internal to Ray\'s `ray up --no-restart`', 'remove it'),
  },
  { key: 'raylaunch', status: SUPPORTED, note: 'raylaunch\'s own settings (below)' },
  {
    key: 'head_node', status: 'error', legacy: true, note: 'Ray\'s legacy format',
    check: (v) => (isEmptyObject(v) ? warn('an empty legacy key, ignored') : fail(
      'Ray\'s legacy head_node format is not supported',
      'describe nodes under available_node_types (e.g. head: {resources: {CPU: 2}, node_config: {...}}) and set head_node_type',
    )),
  },
  {
    key: 'worker_nodes', status: 'error', legacy: true, note: 'Ray\'s legacy format',
    check: (v) => (isEmptyObject(v) ? warn('an empty legacy key, ignored') : fail(
      'Ray\'s legacy worker_nodes format is not supported',
      'describe worker types under available_node_types with min_workers and max_workers',
    )),
  },
  {
    key: 'autoscaling_mode', status: 'error', legacy: true, note: 'removed from Ray',
    check: () => fail('removed from Ray\'s config format', 'use upscaling_speed (aggressive ≈ upscaling_speed: 99999)'),
  },
  {
    key: 'target_utilization_fraction', status: 'error', legacy: true, note: 'removed from Ray',
    check: () => fail('removed from Ray\'s config format', 'use upscaling_speed'),
  },

  // provider
  {
    key: 'provider.type', status: SUPPORTED, note: PROVIDER_TYPE_NOTE,
    check: (v) => (typeof v === 'string' && RAY_ONLY_TYPES.includes(v)
      ? fail(`provider type "${v}" is not supported yet`, `use one of: ${PROVIDER_TYPES.join(', ')}`)
      : undefined),
  },
  { key: 'provider.region', status: 'supported (aws, gcp)', providers: CLOUDS, note: 'required for aws and gcp' },
  { key: 'provider.availability_zone', status: 'supported (aws, gcp)', providers: CLOUDS, note: 'aws: comma-separated, tried in order; gcp: required' },
  { key: 'provider.project_id', status: 'supported (gcp)', providers: ['gcp'], note: 'must be set before `up` (null is a warning in `validate`)' },
  {
    key: 'provider.cache_stopped_nodes', status: 'supported (aws, gcp)', providers: CLOUDS,
    note: 'default false (Ray: true on aws); idle workers are stopped and started again on demand (aws: spot workers are terminated instead; gcp: Spot and preemptible ones are stopped too, also when GCE takes them back); `down` terminates stopped nodes too',
  },
  { key: 'provider.use_internal_ips', status: 'supported (aws, gcp)', providers: CLOUDS, note: 'default false' },
  { key: 'provider.use_external_head_ip', status: 'supported (aws, gcp)', providers: CLOUDS, note: 'with `use_internal_ips`' },
  { key: 'provider.security_group', status: 'supported (aws)', providers: ['aws'], note: '`GroupName`, `IpPermissions`' },
  { key: 'provider.security_group.GroupName', status: 'supported (aws)', providers: ['aws'], note: 'default `raylaunch-<cluster_name>`' },
  { key: 'provider.security_group.IpPermissions', status: 'supported (aws)', providers: ['aws'], note: 'extra inbound rules' },
  { key: 'provider.key_pair', status: 'supported (aws)', providers: ['aws'], note: '`key_name`: base name of the created key pair' },
  { key: 'provider.key_pair.key_name', status: 'supported (aws)', providers: ['aws'], note: '' },
  {
    key: 'provider.aws_credentials', status: 'supported (aws), with a warning', providers: ['aws'], note: 'redacted in every output; used by the CLI only, never copied to a node; default: the SDK\'s credential chain',
    check: () => warn('AWS keys in a config file: used by this machine\'s CLI only (the head uses its own role), never copied to a node', 'prefer AWS_PROFILE or `aws sso login`, which keep keys out of config files'),
  },
  ...['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token', 'profile_name', 'region_name'].map((k): KeyRule => ({
    key: `provider.aws_credentials.${k}`, status: 'supported (aws)', providers: ['aws'], note: '',
  })),
  {
    key: 'provider.gcp_credentials', status: 'supported (gcp), with a warning', providers: ['gcp'], note: 'redacted in every output; used by the CLI only, never copied to a node; default: Application Default Credentials',
    check: () => warn('Google credentials in a config file: used by this machine\'s CLI only (the head uses its own service account), never copied to a node', 'prefer `gcloud auth application-default login` or GOOGLE_APPLICATION_CREDENTIALS, which keep credentials out of config files'),
  },
  { key: 'provider.gcp_credentials.type', status: 'supported (gcp)', providers: ['gcp'], note: '`credentials_token` or `service_account`' },
  { key: 'provider.gcp_credentials.credentials', status: 'supported (gcp)', providers: ['gcp'], note: 'redacted in every output' },
  { key: 'provider.head_ip', status: 'supported (local)', providers: ['local'], note: 'required for local' },
  { key: 'provider.worker_ips', status: 'supported (local)', providers: ['local'], note: 'required for local; the host pool' },
  { key: 'provider.external_head_ip', status: 'supported (local)', providers: ['local'], note: 'address the CLI uses for the head' },
  {
    key: 'provider.coordinator_address', status: 'error', note: 'Ray\'s coordinator server is not supported',
    check: () => fail('Ray\'s coordinator mode is not supported', 'list the hosts in provider.head_ip and provider.worker_ips instead'),
  },
  {
    key: 'provider.list_of_node_ips', status: 'error', note: 'internal to Ray\'s coordinator server',
    check: () => fail('internal to Ray\'s coordinator server', 'list the hosts in provider.worker_ips instead'),
  },
  {
    key: 'provider.module', status: 'error', note: 'external Python providers cannot be loaded',
    check: () => fail('names a Python node provider, which raylaunch cannot load', `use provider type ${PROVIDER_TYPES.join(', ')}`),
  },
  { key: 'provider.disable_launch_config_check', status: SUPPORTED, providers: ALL, note: 'never replace nodes whose launch config changed' },
  {
    key: 'provider.disable_node_updaters', status: 'supported when false; error when true', note: 'raylaunch always sets nodes up over SSH',
    check: (v) => (v === true ? fail('true is not supported: raylaunch sets up every node itself', 'remove the key') : undefined),
  },
  {
    key: 'provider.foreground_node_launch', status: 'warning', note: 'launches always run beside the autoscaler loop',
    check: ignoredFor('launches always run in the background'),
  },
  {
    key: 'provider.worker_liveness_check', status: 'supported when true; warning when false', note: 'heartbeats are always checked',
    check: (v) => (v === false ? warn('false is ignored: raylaunch always checks heartbeats') : undefined),
  },
  {
    key: 'provider.worker_rpc_drain', status: 'warning', note: 'Ray internals',
    check: ignoredFor('a Ray internal'),
  },
  {
    key: 'provider.use_node_id_as_ip', status: 'warning', note: 'Ray\'s fake multinode internals',
    check: ignoredFor('a Ray internal'),
  },
  {
    key: 'provider.cloudwatch', status: 'error (aws); warning elsewhere', note: 'CloudWatch integration is not supported yet',
    check: (_v, ctx) => (ctx.providerType === 'aws'
      ? fail('not supported yet', 'remove it; install the CloudWatch agent from setup_commands if you need it')
      : warn('ignored: an AWS key')),
  },
  { key: 'provider.cloudwatch.agent', status: 'as `provider.cloudwatch`', note: '' },
  { key: 'provider.cloudwatch.dashboard', status: 'as `provider.cloudwatch`', note: '' },
  { key: 'provider.cloudwatch.alarm', status: 'as `provider.cloudwatch`', note: '' },
  ...['namespace', 'autoscaler_service_account', 'autoscaler_role', 'autoscaler_role_binding'].map((k): KeyRule => ({
    key: `provider.${k}`, status: 'warning', note: 'Kubernetes only',
    check: ignoredFor('a Kubernetes key'),
  })),
  ...['location', 'resource_group', 'subscription_id', 'msi_identity_id', 'msi_identity_principal_id', 'subnet_id'].map((k): KeyRule => ({
    key: `provider.${k}`, status: 'warning', note: 'Azure only',
    check: ignoredFor('an Azure key'),
  })),
  {
    key: 'provider.tags', status: 'warning', note: 'Azure only',
    check: (_v, ctx) => warn('ignored: an Azure key', ctx.providerType === 'aws'
      ? 'tag AWS instances with node_config.TagSpecifications'
      : ctx.providerType === 'gcp' ? 'label GCP instances with node_config.labels' : undefined),
  },

  // auth
  { key: 'auth.ssh_user', status: SUPPORTED, note: 'aws/gcp default `ubuntu`; required for local' },
  { key: 'auth.ssh_private_key', status: SUPPORTED, note: 'checked at `up` (a warning in `validate`)' },
  { key: 'auth.ssh_public_key', status: SUPPORTED, note: 'checked at `up` (a warning in `validate`)' },
  { key: 'auth.ssh_proxy_command', status: SUPPORTED, note: 'an ssh ProxyCommand' },

  // docker sub-keys follow the block's verdict
  ...['image', 'container_name', 'pull_before_run', 'run_options', 'head_image', 'head_run_options', 'worker_image',
    'worker_run_options', 'disable_automatic_runtime_detection', 'disable_shm_size_detection', 'use_podman'].map((k): KeyRule => ({
    key: `docker.${k}`, status: 'as `docker`', note: '',
  })),

  // node types
  {
    key: 'available_node_types.<type>.node_config', status: SUPPORTED, note: 'required for aws and gcp; checked against the provider\'s launch parameters (GCP TPU nodes are an error until supported)',
    check: (v, ctx) => (ctx.providerType === 'gcp' && typeof v === 'object' && v !== null
      ? TPU_KEYS.filter((k) => k in v).map((k) => ({ ...fail('TPU nodes are not supported yet', 'use GPU or CPU machine types (machineType, guestAccelerators)'), subPath: [k] }))
      : undefined),
  },
  { key: 'available_node_types.<type>.resources', status: SUPPORTED, note: 'non-negative numbers (fractions allowed)' },
  { key: 'available_node_types.<type>.min_workers', status: SUPPORTED, note: 'default 0' },
  { key: 'available_node_types.<type>.max_workers', status: SUPPORTED, note: 'default: global `max_workers` (0 for the head type)' },
  {
    key: 'available_node_types.<type>.labels', status: 'warning', note: 'recorded; the job API has no label selectors yet',
    check: (v) => (isEmptyObject(v) ? undefined : warn('node labels are accepted but nothing uses them yet: the job API has no label selectors')),
  },
  { key: 'available_node_types.<type>.initialization_commands', status: SUPPORTED, note: 'replaces the global list for this type' },
  { key: 'available_node_types.<type>.worker_setup_commands', status: SUPPORTED, note: 'replaces the merged worker setup for this type' },
  {
    key: 'available_node_types.<type>.docker', status: 'warning or error', note: 'as `docker`: a `worker_image` is an error until supported',
    check: (v) => (typeof v === 'object' && v !== null && nonEmptyString((v as Record<string, unknown>).worker_image)
      ? fail('running nodes in Docker containers is not supported yet', NO_CONTAINERS_HINT)
      : warn('per-type docker settings are ignored', 'remove the block')),
  },
  ...['pull_before_run', 'worker_image', 'worker_run_options'].map((k): KeyRule => ({
    key: `available_node_types.<type>.docker.${k}`, status: 'as `available_node_types.<type>.docker`', note: '',
  })),
  { key: 'available_node_types.<type>.idle_timeout_s', status: SUPPORTED, note: 'per-type idle timeout in seconds (null: use `idle_timeout_minutes`)' },

  // raylaunch's own
  { key: 'raylaunch.control_plane_port', status: SUPPORTED, note: 'default 0 (any free port) for process, 6380 elsewhere; private address only' },
  { key: 'raylaunch.heartbeat_timeout_s', status: SUPPORTED, note: 'default 5' },
  { key: 'raylaunch.head_reconnect_timeout_s', status: SUPPORTED, note: 'default 60: how long agents and drivers wait for a restarted head; a restart shorter than this loses no node and no running job' },
  { key: 'raylaunch.autoscaler_interval_s', status: SUPPORTED, note: 'default 1' },
  { key: 'raylaunch.node_start_timeout_s', status: SUPPORTED, note: 'default 300' },
  { key: 'raylaunch.inline_object_limit', status: SUPPORTED, note: 'bytes; default 102400' },
  { key: 'raylaunch.demand_batch_ms', status: SUPPORTED, note: 'a demand pending this long is acted on; default 300' },
  { key: 'raylaunch.max_concurrent_launches', status: SUPPORTED, note: 'most nodes launching at once; default 10' },
  { key: 'raylaunch.gcs_storage', status: SUPPORTED, note: 'sqlite (default: gcs.sqlite in the head\'s state dir), memory (state dies with the head), or redis://[user:password@]host:port/db / rediss://' },
  { key: 'raylaunch.gcs_storage_password_file', status: SUPPORTED, note: 'redis: a file on the head with the password (or env RAYLAUNCH_GCS_REDIS_PASSWORD)' },
  { key: 'raylaunch.worker_user', status: SUPPORTED, note: 'where raylaunch runs as root: the user worker processes run as; refused unless the agent is root' },
  { key: 'raylaunch.max_connections', status: SUPPORTED, note: 'connections the control plane takes, and each node\'s object server; one more is refused (HTTP 503); default 1024' },
  { key: 'raylaunch.max_message_mb', status: SUPPORTED, note: 'largest message a peer may send the head (in 8 MiB chunks), and most waiting unread to one peer; default 256' },
  { key: 'raylaunch.max_upload_mb', status: SUPPORTED, note: 'a job\'s working dir, as the head takes it; default 100' },
  { key: 'raylaunch.max_upload_files', status: SUPPORTED, note: 'files in a job\'s working dir, as the head takes it; default 50000' },
  { key: 'raylaunch.ssh_ingress_cidr', status: SUPPORTED, note: 'aws/gcp: source range allowed to reach SSH; default this machine\'s address /32' },
];

const RULES = new Map(KEY_RULES.map((r) => [r.key, r]));

export interface ScanResult {
  problems: Problem[];
  /** Paths (JSON-encoded) the rules spoke about: the schema's "unknown key" errors there are dropped. */
  handled: Set<string>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Applies the rules to a config as written (before defaults). Pure. */
export function scanKeys(raw: Record<string, unknown>): ScanResult {
  const problems: Problem[] = [];
  const handled = new Set<string>();
  const providerType = isRecord(raw.provider) && typeof raw.provider.type === 'string' ? raw.provider.type : undefined;
  const ctx: RuleContext = { providerType };

  const apply = (ruleKey: string, path: YamlPath, value: unknown): void => {
    const rule = RULES.get(ruleKey);
    if (!rule) return;
    const found = rule.check?.(value, ctx);
    const verdicts = found === undefined ? [] : Array.isArray(found) ? found : [found];
    if (verdicts.length === 0 && rule.providers && providerType && (PROVIDER_TYPES as readonly string[]).includes(providerType)
      && !rule.providers.includes(providerType as ProviderType)) {
      verdicts.push(warn(`ignored: applies to ${rule.providers.join(' and ')} only, not to ${providerType}`));
    }
    for (const { subPath, ...verdict } of verdicts) {
      const at = subPath ? [...path, ...subPath] : path;
      handled.add(JSON.stringify(at));
      problems.push(subPath ? { ...verdict, path: at, at: 'key' } : { ...verdict, path, at: 'key' });
    }
  };
  const applyMap = (prefix: string, path: YamlPath, value: unknown): void => {
    if (!isRecord(value)) return;
    for (const [k, v] of Object.entries(value)) apply(`${prefix}.${k}`, [...path, k], v);
  };

  for (const [k, v] of Object.entries(raw)) apply(k, [k], v);
  applyMap('provider', ['provider'], raw.provider);
  if (isRecord(raw.available_node_types)) {
    for (const [name, t] of Object.entries(raw.available_node_types)) {
      applyMap('available_node_types.<type>', ['available_node_types', name], t);
    }
  }
  return { problems, handled };
}
