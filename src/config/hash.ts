import { createHash } from 'node:crypto';
import pkg from '../../package.json' with { type: 'json' };
import type { ClusterConfig } from './types.js';

/** The raylaunch version that node-side runtimes are built from; part of the runtime hash. */
export const RUNTIME_VERSION: string = pkg.version;

/** JSON with object keys sorted at every level: equal configs hash equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

const digest = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);

/**
 * What needs a new node when it changes: the type's node_config as written and the SSH user. Computed before
 * any cloud preparation (key pairs, subnets, security groups) and without key material, so the same file
 * gives the same hash on every machine.
 */
export function launchHash(c: ClusterConfig, nodeType: string): string {
  const t = c.available_node_types[nodeType];
  return digest([t?.node_config ?? {}, { ssh_user: c.auth.ssh_user ?? null }]);
}

/**
 * What needs setup re-run when it changes: the file-mount mapping (not the files' contents), setup and start
 * commands (with per-type overrides), and the runtime version.
 */
export function runtimeHash(c: ClusterConfig): string {
  const perType = Object.fromEntries(Object.entries(c.available_node_types).map(([name, t]) => [name, {
    initialization_commands: t.initialization_commands ?? null,
    worker_setup_commands: t.worker_setup_commands ?? null,
  }]));
  return digest({
    file_mounts: c.file_mounts,
    cluster_synced_files: c.cluster_synced_files,
    initialization_commands: c.initialization_commands,
    head_setup_commands: c.head_setup_commands,
    worker_setup_commands: c.worker_setup_commands,
    head_start_ray_commands: c.head_start_ray_commands,
    worker_start_ray_commands: c.worker_start_ray_commands,
    per_type: perType,
    runtime_version: RUNTIME_VERSION,
  });
}

export function launchHashes(c: ClusterConfig): Record<string, string> {
  return Object.fromEntries(Object.keys(c.available_node_types).map((t) => [t, launchHash(c, t)]));
}
