import { closest } from '../common/suggest.js';
import type { Problem, YamlPath } from './problems.js';
import { type KeyIndex, schemaProblems } from './schema-errors.js';
import { SCHEMAS, validators } from './schema.js';
import { KEY_RULES, scanKeys } from './support.js';
import { type ClusterConfig, PROVIDER_TYPES, type ProviderType } from './types.js';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../common/net.js';

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a config as written against the schemas and the support table. Pure: the caller reads the file and
 * gives the problems their lines. An empty result means applyDefaults() may run.
 */
export function validateRaw(raw: unknown): Problem[] {
  if (raw === null || raw === undefined) {
    return [{ severity: 'error', path: [], message: 'the file is empty', hint: 'start from example-configs/process.yaml' }];
  }
  if (!isRecord(raw)) {
    return [{
      severity: 'error', path: [], message: `the top level must be a mapping of keys (cluster_name:, provider:, …), got ${Array.isArray(raw) ? 'a list' : 'a single value'}`,
      hint: 'start from example-configs/process.yaml',
    }];
  }
  const v = validators();
  const { problems, handled } = scanKeys(raw);
  if (!v.cluster(raw)) problems.push(...schemaProblems(v.cluster.errors ?? [], raw, [], handled, keyIndex()));

  const provider = raw.provider;
  const type = isRecord(provider) ? provider.type : undefined;
  if (typeof type === 'string' && (PROVIDER_TYPES as readonly string[]).includes(type)) {
    problems.push(...providerProblems(raw, type as ProviderType, handled));
  } else if (typeof type === 'string' && !problems.some((p) => p.path.join('.') === 'provider.type')) {
    const guess = closest(type, PROVIDER_TYPES);
    problems.push({
      severity: 'error', path: ['provider', 'type'], message: `unknown provider type "${type}"`,
      hint: guess ? `did you mean "${guess}"?` : `use one of: ${PROVIDER_TYPES.join(', ')}`,
    });
  }
  return dedupe(problems);
}

function providerProblems(raw: Raw, type: ProviderType, handled: ReadonlySet<string>): Problem[] {
  const v = validators();
  const out: Problem[] = [];
  if (!v.provider[type](raw.provider)) {
    out.push(...schemaProblems(v.provider[type].errors ?? [], raw.provider, ['provider'], handled, keyIndex()));
  }
  if (!isRecord(raw.available_node_types)) return out;
  for (const [name, t] of Object.entries(raw.available_node_types)) {
    if (!isRecord(t)) continue;
    const path: YamlPath = ['available_node_types', name];
    if (t.node_config === undefined) {
      if (type === 'aws' || type === 'gcp') {
        out.push({
          severity: 'error', path, at: 'key', message: `missing required key "node_config"`,
          hint: type === 'aws' ? 'e.g. node_config: {InstanceType: m5.large}' : 'e.g. node_config: {machineType: n1-standard-2, disks: [...]}',
        });
      }
      continue;
    }
    const check = v.nodeConfig[type];
    if (!check(t.node_config)) {
      out.push(...schemaProblems(check.errors ?? [], t.node_config, [...path, 'node_config'], handled, keyIndex()));
    }
  }
  return out;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.severity}|${JSON.stringify(p.path)}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

let index: Map<string, string[]> | undefined;

/** Key name → the places it belongs, from the support table and the providers' node_config schemas. */
function keyIndex(): KeyIndex {
  if (index) return index;
  const m = new Map<string, string[]>();
  const add = (name: string, home: string) => {
    const homes = m.get(name) ?? [];
    if (!homes.includes(home)) homes.push(home);
    m.set(name, homes);
  };
  for (const r of KEY_RULES) {
    const dot = r.key.lastIndexOf('.');
    add(r.key.slice(dot + 1), dot < 0 ? 'the top level' : r.key.slice(0, dot));
  }
  for (const [type, s] of Object.entries(SCHEMAS.providers)) {
    for (const k of Object.keys(s.definitions.node_config.properties)) add(k, `available_node_types.<type>.node_config (${type})`);
  }
  index = m;
  return m;
}

/**
 * Checks that need the whole config with defaults applied: head type, worker bounds, the local host pool,
 * cloud naming rules. `raw` tells which keys the file wrote, so problems point at them.
 */
export function checkSemantics(c: ClusterConfig, raw: Raw, here: { uid?: number } = {}): Problem[] {
  const out: Problem[] = [];
  const err = (path: YamlPath, message: string, hint: string, at?: 'key') =>
    out.push({ severity: 'error', path, message, hint, ...(at ? { at } : {}) });
  const types = Object.keys(c.available_node_types);
  const typeList = types.map((t) => `"${t}"`).join(', ');

  if (!(c.head_node_type in c.available_node_types)) {
    const guess = closest(c.head_node_type, types);
    if (raw.head_node_type === undefined) {
      err(['available_node_types'], `head_node_type is missing: name the node type that runs the head (defined: ${typeList})`,
        `add head_node_type: ${types[0] ?? '<type>'}`, 'key');
    } else {
      err(['head_node_type'], `head_node_type "${c.head_node_type}" is not one of the node types in available_node_types (${typeList})`,
        guess ? `did you mean "${guess}"?` : `name one of the node types, or add "${c.head_node_type}" to available_node_types`);
    }
  }

  let minSum = 0;
  for (const [name, t] of Object.entries(c.available_node_types)) {
    const path: YamlPath = ['available_node_types', name];
    minSum += t.min_workers;
    if (t.min_workers > t.max_workers) {
      err([...path, 'min_workers'], `min_workers (${t.min_workers}) is greater than max_workers (${t.max_workers}) for node type "${name}"`,
        `lower min_workers or raise max_workers${isRecord(raw.available_node_types) && isRecord(raw.available_node_types[name]) && raw.available_node_types[name].max_workers === undefined ? ` (max_workers defaults to ${name === c.head_node_type ? '0 for the head type' : 'the global max_workers'})` : ''}`);
    }
  }
  if (minSum > c.max_workers) {
    err(raw.max_workers === undefined ? ['available_node_types'] : ['max_workers'],
      `the node types' min_workers add up to ${minSum}, more than the global max_workers (${c.max_workers})`,
      `raise max_workers to at least ${minSum}, or lower min_workers`);
  }

  if (c.provider.type === 'local') out.push(...localPool(c, raw));
  if (c.provider.type === 'gcp') {
    if (typeof c.cluster_name === 'string' && !/^[a-z0-9_-]+$/.test(c.cluster_name)) {
      // It becomes a GCP label value and part of instance names.
      err(['cluster_name'], `GCP needs lowercase letters, digits, "-" and "_" only, got "${c.cluster_name}"`,
        `use "${c.cluster_name.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}"`);
    }
    if (!c.provider.project_id) {
      out.push({
        severity: 'warning', path: ['provider', 'project_id'], message: 'not set; `raylaunch up` needs it',
        hint: 'set provider.project_id to your GCP project id',
      });
    } else if (typeof c.provider.project_id === 'string' && !/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(c.provider.project_id)) {
      err(['provider', 'project_id'], `"${c.provider.project_id}" is not a GCP project id (6–30 lowercase letters, digits and hyphens)`,
        'copy the project id (not its name or number) from the Cloud console');
    }
  }
  if (c.provider.type === 'aws' && typeof c.provider.availability_zone === 'string' && typeof c.provider.region === 'string') {
    const region = c.provider.region;
    const foreign = c.provider.availability_zone.split(',').map((z) => z.trim()).filter((z) => !z.startsWith(region));
    if (foreign.length > 0) {
      err(['provider', 'availability_zone'], `zone ${foreign.join(', ')} is not in region ${region}`, `use zones such as ${region}a,${region}b`);
    }
  }
  const workerUser = c.raylaunch.worker_user;
  if (workerUser !== undefined) {
    // Only root can start processes as another user; the agent runs as the SSH login (process: as this user).
    const agentUser = c.provider.type === 'process' ? (here.uid === 0 ? 'root' : `uid ${here.uid ?? '?'}`) : c.auth.ssh_user ?? '?';
    if (agentUser !== 'root') {
      err(['raylaunch', 'worker_user'], `worker_user "${workerUser}" needs raylaunch's agents to run as root, but they run as ${agentUser}`,
        c.provider.type === 'process' ? 'run raylaunch as root, or remove worker_user' : 'set auth.ssh_user: root, or remove worker_user');
    }
  }
  if (c.provider.type === 'local' && !c.auth.ssh_user) {
    err(raw.auth === undefined ? [] : ['auth'], 'ssh_user is required for the local provider', 'add auth: {ssh_user: <login on the hosts>}');
  }
  if (c.provider.type === 'process') {
    for (const [name, t] of Object.entries(c.available_node_types)) {
      if (name !== c.head_node_type && Object.values(t.resources).every((n) => n === 0)) {
        out.push({
          severity: 'warning', path: ['available_node_types', name, 'resources'],
          message: `worker type "${name}" offers no resources, so no task can ever run on it`, hint: 'e.g. resources: {CPU: 2}',
        });
      }
    }
  }
  return out;
}

function localPool(c: ClusterConfig, raw: Raw): Problem[] {
  if (c.provider.type !== 'local') return [];
  const out: Problem[] = [];
  const pool = Array.isArray(c.provider.worker_ips) ? c.provider.worker_ips.map(String) : [];
  const inPool = new Set(pool);
  const seen = new Set<string>();
  // Each node's services listen on its address, and only on loopback or private networks. A host name is
  // resolved on the host itself at `up` (and checked there).
  const notPrivate = (ip: string, path: YamlPath): Problem | undefined => (!isIP(ip) || isPrivateAddress(ip) ? undefined : {
    severity: 'error', path, message: `${ip} is a public address: raylaunch's services listen on each host's address, and only on loopback or private networks`,
    hint: 'use the host\'s address on a private network (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7); external_head_ip may be public if this machine reaches the head that way',
  });
  const headProblem = typeof c.provider.head_ip === 'string' ? notPrivate(c.provider.head_ip, ['provider', 'head_ip']) : undefined;
  if (headProblem) out.push(headProblem);
  pool.forEach((ip, i) => {
    const p = notPrivate(ip, ['provider', 'worker_ips', i]);
    if (p) out.push(p);
    if (seen.has(ip)) out.push({ severity: 'error', path: ['provider', 'worker_ips', i], message: `host "${ip}" is listed twice in worker_ips`, hint: 'remove the second entry' });
    seen.add(ip);
    if (c.provider.type === 'local' && ip === c.provider.head_ip) {
      out.push({ severity: 'error', path: ['provider', 'worker_ips', i], message: `host "${ip}" is the head (provider.head_ip) and cannot also be a worker`, hint: 'remove it from worker_ips' });
    }
  });
  const implied = raw.available_node_types === undefined;
  const pointAt: YamlPath = implied ? ['provider', 'worker_ips'] : ['available_node_types'];
  const wanted = Object.entries(c.available_node_types).reduce((n, [, t]) => n + t.min_workers, 0);
  if (implied) {
    const rawMax = typeof raw.max_workers === 'number' ? raw.max_workers : undefined;
    const rawMin = typeof raw.min_workers === 'number' ? raw.min_workers : undefined;
    if (rawMax !== undefined && rawMax > pool.length) {
      out.push({ severity: 'warning', path: ['max_workers'], message: `max_workers (${rawMax}) is more than the ${pool.length} hosts in provider.worker_ips; using ${pool.length}` });
    }
    if (rawMin !== undefined && rawMin > pool.length) {
      out.push({ severity: 'warning', path: ['min_workers'], message: `min_workers (${rawMin}) is more than the ${pool.length} hosts in provider.worker_ips; using ${pool.length}` });
    }
    return out;
  }
  if (wanted > pool.length) {
    out.push({
      severity: 'error', path: pointAt, at: 'key',
      message: `the node types' min_workers add up to ${wanted}, but provider.worker_ips lists ${pool.length} ${pool.length === 1 ? 'host' : 'hosts'}`,
      hint: 'add hosts to provider.worker_ips or lower min_workers',
    });
  }
  for (const [name, t] of Object.entries(c.available_node_types)) {
    const own = t.node_config.worker_ips;
    if (!Array.isArray(own)) continue;
    own.forEach((ip, i) => {
      if (!inPool.has(String(ip))) {
        out.push({
          severity: 'error', path: ['available_node_types', name, 'node_config', 'worker_ips', i],
          message: `host "${String(ip)}" is not in provider.worker_ips`, hint: 'every host of a node type must be in the pool provider.worker_ips',
        });
      }
    });
    if (t.min_workers > own.length) {
      out.push({
        severity: 'error', path: ['available_node_types', name, 'min_workers'],
        message: `min_workers (${t.min_workers}) is more than the ${own.length} hosts node type "${name}" may use`,
        hint: 'add hosts to its node_config.worker_ips or lower min_workers',
      });
    }
  }
  return out;
}
