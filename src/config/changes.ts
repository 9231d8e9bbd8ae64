import { canonicalJson } from './hash.js';
import type { ClusterConfig, LiveChange } from './types.js';

export type { LiveChange } from './types.js';

/** How a config differs from the one a cluster runs with: what the head can take live, what needs a restart. */
export interface ConfigChanges {
  live: LiveChange[];
  /** YAML paths whose change needs the head restarted (the cluster's running work is lost). */
  restart: string[];
}

/** The autoscaler's settings: read on every tick, so the running head can take them as they are. */
const LIVE_TOP = ['max_workers', 'upscaling_speed', 'idle_timeout_minutes'] as const;
const LIVE_PER_TYPE = ['min_workers', 'max_workers'] as const;

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** Paths of the keys of `a` and `b` that differ, one level down (a key that only one has differs too). */
function differing(a: Record<string, unknown>, b: Record<string, unknown>, prefix: string, skip: readonly string[] = []): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !skip.includes(k)).sort();
  return keys.filter((k) => !same(a[k], b[k])).map((k) => `${prefix}${k}`);
}

/** Compares the config a cluster runs with to a new one. Pure. */
export function configChanges(before: ClusterConfig, after: ClusterConfig): ConfigChanges {
  const live: LiveChange[] = [];
  for (const key of LIVE_TOP) if (!same(before[key], after[key])) live.push({ path: key, from: before[key], to: after[key] });
  const restart = differing(before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>, '', [...LIVE_TOP, 'available_node_types']);
  const typesBefore = before.available_node_types;
  const typesAfter = after.available_node_types;
  for (const name of [...new Set([...Object.keys(typesBefore), ...Object.keys(typesAfter)])].sort()) {
    const b = typesBefore[name];
    const a = typesAfter[name];
    // A node type added or removed changes what the scheduler plans with: a restart.
    if (!a || !b) {
      restart.push(`available_node_types.${name}`);
      continue;
    }
    for (const key of LIVE_PER_TYPE) if (!same(b[key], a[key])) live.push({ path: `available_node_types.${name}.${key}`, from: b[key], to: a[key] });
    restart.push(...differing(b as unknown as Record<string, unknown>, a as unknown as Record<string, unknown>, `available_node_types.${name}.`, LIVE_PER_TYPE));
  }
  return { live, restart };
}

/** The config without the settings a running head takes live: what decides whether a node must restart. */
export function withoutLiveSettings(c: ClusterConfig): unknown {
  const rest: Record<string, unknown> = { ...c };
  for (const key of LIVE_TOP) delete rest[key];
  rest.available_node_types = Object.fromEntries(Object.entries(c.available_node_types).map(([name, t]) => {
    const kept: Record<string, unknown> = { ...t };
    for (const key of LIVE_PER_TYPE) delete kept[key];
    return [name, kept];
  }));
  return rest;
}

export function formatLiveChange(c: LiveChange): string {
  return `${c.path} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`;
}
