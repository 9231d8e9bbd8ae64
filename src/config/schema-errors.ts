import type { ErrorObject } from 'ajv';
import { closest } from '../common/suggest.js';
import type { Problem, YamlPath } from './problems.js';
import { redact } from './redact.js';

/** Every key name the schemas know, with where it belongs: for "x is a key of y" hints on misplaced keys. */
export type KeyIndex = ReadonlyMap<string, readonly string[]>;

/** Turns ajv's errors into problems worded for a person, with did-you-mean suggestions. */
export function schemaProblems(
  errors: readonly ErrorObject[], data: unknown, prefix: YamlPath, handled: ReadonlySet<string>, index: KeyIndex,
): Problem[] {
  const anyOfPaths = [...new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath))];
  const out: Problem[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (anyOfPaths.some((p) => e.schemaPath !== p && e.schemaPath.startsWith(`${p}/`))) continue;
    const path = [...prefix, ...pointerToPath(e.instancePath, data)];
    const p = describe(e, path, index);
    if (!p) continue;
    if (e.keyword === 'additionalProperties' && handled.has(JSON.stringify(p.path))) continue;
    out.push(p);
  }
  return out;
}

function pointerToPath(pointer: string, data: unknown): YamlPath {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number',
  boolean: 'true or false', null: 'null',
};

function typeWord(t: unknown): string {
  const list = Array.isArray(t) ? t : String(t).split(',');
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

/** How a value reads in a message: its kind and, for scalars, the value itself. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') {
    const shown = redact(v); // a URL's password (raylaunch.gcs_storage) never reaches a message
    return `the string ${JSON.stringify(shown.length > 60 ? `${shown.slice(0, 57)}...` : shown)}`;
  }
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}` : `the fraction ${v}`;
  return `${typeof v} ${String(v)}`;
}

const HOST_PROBLEM = 'is not an IP address or host name';
const HOST_HINT = 'write the host\'s address (e.g. 10.0.0.2) or name (e.g. node-1.internal): no spaces, wildcards or leading "-"';

/** Per key (for list items, the list's key): what a pattern mismatch means, and an example of a good value. */
const PATTERN_MESSAGES: Record<string, [string, string]> = {
  cluster_name: ['may use only letters, digits, ".", "-" and "_", and must start with a letter or digit', 'e.g. cluster_name: my-cluster'],
  region: ['is not a region name', 'aws: like us-west-2; gcp: like us-west1'],
  availability_zone: ['is not a zone list', 'aws: like us-west-2a,us-west-2b; gcp: one zone like us-west1-a'],
  ssh_ingress_cidr: ['is not an address range', 'e.g. 203.0.113.4/32'],
  ssh_user: ['is not a user name', 'letters, digits, ".", "-" and "_", starting with a letter, digit or "_" (e.g. ssh_user: ubuntu)'],
  head_ip: [HOST_PROBLEM, HOST_HINT],
  external_head_ip: [HOST_PROBLEM, HOST_HINT],
  worker_ips: [HOST_PROBLEM, HOST_HINT],
  gcs_storage: ['is not a GCS store', 'sqlite (the default), memory, or redis://[user:password@]host:port/db (rediss:// for TLS)'],
};

const BOUND_HINTS: Record<string, (limit: number) => string> = {
  '>=': (l) => `use ${l} or more`, '>': (l) => `use a value above ${l}`, '<=': (l) => `use ${l} or less`, '<': (l) => `use a value below ${l}`,
};

function describe(e: ErrorObject, path: YamlPath, index: KeyIndex): Problem | undefined {
  const data = e.data;
  const last = typeof path[path.length - 1] === 'number' ? path[path.length - 2] : path[path.length - 1];
  const base = { severity: 'error' as const, path };
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = allowedKeys(e.parentSchema);
      return {
        ...base, path: [...path, key], at: 'key', message: `unknown key "${key}"`, hint: placeHint(key, allowed, index),
        suggest: () => didYouMean(key, allowed),
      };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      const hint = REQUIRED_HINTS[key];
      return { ...base, at: 'key', message: `missing required key "${key}"`, hint: hint ?? `add ${key}: to ${path.length > 0 ? 'this mapping' : 'the top level'}` };
    }
    case 'type': {
      const want = (e.params as { type: unknown }).type;
      return { ...base, message: `expected ${typeWord(want)}, got ${describeValue(data)}`, hint: typeHint(want, data) };
    }
    case 'anyOf': {
      const types = ((e.schema as { type?: string }[] | undefined) ?? []).map((s) => s.type).filter(Boolean);
      return { ...base, message: `expected ${typeWord(types)}, got ${describeValue(data)}`, hint: typeHint(types, data) };
    }
    case 'enum':
    case 'const': {
      const allowed = e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues : [(e.params as { allowedValue: unknown }).allowedValue];
      return {
        ...base, message: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${describeValue(data)}`,
        hint: `use one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
        ...(typeof data === 'string' ? { suggest: () => didYouMean(data, allowed.map(String)) } : {}),
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      return { ...base, message: `must be ${comparison} ${limit}, got ${describeValue(data)}`, hint: BOUND_HINTS[comparison]?.(limit) ?? 'use a value in range' };
    }
    case 'minLength':
      return { ...base, message: 'must not be empty', hint: 'give a value, or remove the key' };
    case 'maxLength':
      return { ...base, message: `must be at most ${(e.params as { limit: number }).limit} characters, got ${String(data).length}`, hint: 'use a shorter value' };
    case 'pattern':
      return {
        ...base, message: `${describeValue(data)} ${PATTERN_MESSAGES[String(last)]?.[0] ?? `does not match ${(e.params as { pattern: string }).pattern}`}`,
        hint: PATTERN_MESSAGES[String(last)]?.[1] ?? 'see the key\'s description in schemas/cluster.schema.json',
      };
    default:
      return { ...base, message: e.message ?? `failed ${e.keyword}`, hint: 'see schemas/cluster.schema.json' };
  }
}

const REQUIRED_HINTS: Record<string, string> = {
  provider: 'add `provider: {type: process}` to run the cluster as processes on this machine (or use local, aws, gcp)',
  type: 'one of process, local, aws, gcp',
  resources: 'give the resources a node of this type offers, e.g. resources: {CPU: 2}',
  region: 'e.g. region: us-west-2 (aws) or region: us-west1 (gcp)',
  availability_zone: 'e.g. availability_zone: us-west1-a',
  head_ip: 'the hostname or address of the head host',
  worker_ips: 'the worker hosts, e.g. worker_ips: [10.0.0.2, 10.0.0.3] (an empty list for a head-only cluster)',
  credentials: 'the OAuth token or the service-account JSON',
};

function typeHint(want: unknown, data: unknown): string {
  const wants = Array.isArray(want) ? want.map(String) : [String(want)];
  const numeric = wants.includes('number') || wants.includes('integer');
  const exp = typeof data === 'string' ? /^([-+]?[0-9][0-9_]*)(?:\.([0-9_]*))?[eE]([-+]?)([0-9]+)$/.exec(data.trim()) : null;
  if (numeric && exp) {
    const n = Number(data);
    const spelled = `${exp[1]}.${exp[2] || '0'}e${exp[3] || '+'}${exp[4]}`;
    return `YAML 1.1 (as PyYAML reads it) takes ${String(data)} as a string: write ${Number.isSafeInteger(n) ? `${n} or ` : ''}${spelled}`;
  }
  if (numeric && typeof data === 'string' && /^[-+]?[0-9.]+$/.test(data.trim())) {
    return 'remove the quotes around the number';
  }
  if (wants.includes('integer') && typeof data === 'number') return 'use a whole number';
  if (data === null || data === undefined) return 'the key has no value: give it one, or remove the key';
  if (wants.includes('array') && typeof data === 'string') return `write a list: [${JSON.stringify(data)}] or one "- item" per line`;
  if (wants.includes('boolean') && typeof data === 'string') return 'write true or false without quotes';
  if (wants.includes('object') && Array.isArray(data)) return 'write key: value pairs here, not a list of "- " items';
  if (wants.includes('array') && typeof data === 'object') return 'write a list of "- " items here, not key: value pairs';
  return `write ${typeWord(want)} here`;
}

const allowedCache = new WeakMap<object, readonly string[]>();

/** The keys a mapping's schema names (once per schema: a file can have thousands of unknown keys in one mapping). */
function allowedKeys(schema: unknown): readonly string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  let keys = allowedCache.get(schema);
  if (!keys) {
    keys = Object.keys((schema as { properties?: object }).properties ?? {});
    allowedCache.set(schema, keys);
  }
  return keys;
}

function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const guess = closest(word, candidates);
  return guess ? `did you mean "${guess}"?` : undefined;
}

/** For an unknown key, when no known key is close: where the key belongs, or what is allowed here. */
function placeHint(key: string, allowed: readonly string[], index: KeyIndex): string {
  const homes = index.get(key);
  if (homes && homes.length > 0) return `"${key}" is a key of ${homes.join(' or ')}`;
  if (allowed.length > 0 && allowed.length <= 12) return `allowed here: ${allowed.join(', ')}`;
  return 'remove it, or see the keys allowed here in schemas/cluster.schema.json';
}
