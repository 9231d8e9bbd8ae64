import { launchHashes, RUNTIME_VERSION, runtimeHash } from '../config/hash.js';
import type { LoadedConfig } from '../config/load.js';
import type { LocatedProblem } from '../config/problems.js';
import { redact } from '../config/redact.js';
import type { ClusterConfig, Resources } from '../config/types.js';
import { table } from './format.js';
import { moreLine, renderProblem } from './render.js';

/** What `raylaunch validate` returns; `--json` prints it as is (schemas/output/validate.schema.json). */
export interface ValidateResult {
  ok: true;
  file: string;
  cluster_name: string;
  provider: string;
  head_node_type: string;
  max_workers: number;
  upscaling_speed: number;
  idle_timeout_minutes: number;
  node_types: { name: string; head: boolean; resources: Resources; min_workers: number; max_workers: number; launch_hash: string }[];
  runtime_hash: string;
  runtime_version: string;
  /** The first warnings in file order. */
  warnings: LocatedProblem[];
  /** How many warnings there are in all. */
  warning_count: number;
  /** The resolved config, defaults applied, secrets redacted. */
  config: ClusterConfig;
}

export function validateResult(loaded: LoadedConfig): ValidateResult {
  const c = loaded.config;
  const hashes = launchHashes(c);
  return {
    ok: true,
    file: loaded.file,
    cluster_name: c.cluster_name,
    provider: c.provider.type,
    head_node_type: c.head_node_type,
    max_workers: c.max_workers,
    upscaling_speed: c.upscaling_speed,
    idle_timeout_minutes: c.idle_timeout_minutes,
    node_types: Object.entries(c.available_node_types).map(([name, t]) => ({
      name, head: name === c.head_node_type, resources: t.resources, min_workers: t.min_workers, max_workers: t.max_workers,
      launch_hash: hashes[name] ?? '',
    })),
    runtime_hash: runtimeHash(c),
    runtime_version: RUNTIME_VERSION,
    warnings: loaded.warnings,
    warning_count: loaded.warningCount,
    config: redact(c),
  };
}

const fmtResources = (r: Resources) => {
  const parts = Object.entries(r).map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? parts.join(', ') : '(detected on the node)';
};

/** The human form: a short summary on stdout; warnings go to stderr separately. */
export function formatValidate(r: ValidateResult): string {
  const rows = [
    ['NODE TYPE', 'MIN', 'MAX', 'RESOURCES', 'LAUNCH HASH'],
    ...r.node_types.map((t) => [t.head ? `${t.name} (head)` : t.name, String(t.min_workers), String(t.max_workers), fmtResources(t.resources), t.launch_hash]),
  ];
  return [
    `${r.file}: valid${r.warning_count > 0 ? ` (${r.warning_count} ${r.warning_count === 1 ? 'warning' : 'warnings'})` : ''}`,
    `  cluster       ${r.cluster_name}`,
    `  provider      ${r.provider}`,
    `  head type     ${r.head_node_type}`,
    `  workers       up to ${r.max_workers} · upscaling speed ${r.upscaling_speed} · idle timeout ${r.idle_timeout_minutes} min`,
    `  runtime hash  ${r.runtime_hash} (runtime ${r.runtime_version})`,
    '',
    ...table(rows).map((l) => `  ${l}`),
  ].join('\n');
}

export const formatWarnings = (r: ValidateResult, colour = false): string => [
  ...r.warnings.map((w) => renderProblem(w, colour)), moreLine(r.warning_count - r.warnings.length, 'warning') ?? [],
].flat().join('\n');
