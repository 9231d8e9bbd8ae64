import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError } from '../errors.js';
import type { NodeKind } from '../provider.js';

/**
 * Node records: the provider's only memory. One JSON file per node, so concurrent writers never touch the same
 * file, and each is replaced atomically, so a crash mid-write cannot leave half a record behind.
 */

/** What the provider remembers of a node it started. */
export interface NodeRecord {
  id: string;
  nodeType: string;
  kind: NodeKind;
  requestId: string;
  pid: number;
  /** Start time of the leader in clock ticks (/proc/<pid>/stat field 22): pid + startTime identify the process. */
  startTime: number;
  /** ISO 8601. */
  launchedAt: string;
  tags: Record<string, string>;
}

/** Node ids as this provider makes them; anything else cannot name a record (and cannot walk out of nodes/). */
export const NODE_ID = /^[a-z0-9][a-z0-9-]*$/;

/** <stateDir>/nodes */
export const nodesDir = (stateDir: string): string => join(stateDir, 'nodes');
/** <stateDir>/logs */
export const logsDir = (stateDir: string): string => join(stateDir, 'logs');
/** <stateDir>/logs/<id>.log */
export const logPath = (stateDir: string, id: string): string => join(logsDir(stateDir), `${id}.log`);
const recordPath = (stateDir: string, id: string): string => join(nodesDir(stateDir), `${id}.json`);

/** Creates a private directory (and its parents) if missing. */
export async function ensureDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw fsError('create', path, e);
  }
}

/** Writes a record atomically: a reader sees the old file or the new one, never a torn one. */
export async function writeRecord(stateDir: string, rec: NodeRecord): Promise<void> {
  const path = recordPath(stateDir, rec.id);
  // The temporary name does not end in .json, so listRecords never picks up a leftover one.
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fsError('write', path, e);
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Validates a parsed record; undefined for anything this provider did not write. */
export function parseRecord(v: unknown): NodeRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const ok =
    typeof r.id === 'string' && NODE_ID.test(r.id) && typeof r.nodeType === 'string' && (r.kind === 'head' || r.kind === 'worker') &&
    typeof r.requestId === 'string' && Number.isSafeInteger(r.pid) && (r.pid as number) > 1 &&
    Number.isSafeInteger(r.startTime) && typeof r.launchedAt === 'string' && isStringMap(r.tags);
  return ok ? (r as unknown as NodeRecord) : undefined;
}

/** The record of one node, or undefined when there is none (or it is not ours). */
export async function readRecord(stateDir: string, id: string): Promise<NodeRecord | undefined> {
  if (!NODE_ID.test(id)) return undefined;
  const path = recordPath(stateDir, id);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError('read', path, e);
  }
  try {
    const rec = parseRecord(JSON.parse(text));
    return rec?.id === id ? rec : undefined;
  } catch {
    return undefined; // not JSON: not a record this provider wrote (writes are atomic)
  }
}

/** Every valid record in <stateDir>/nodes. */
export async function listRecords(stateDir: string): Promise<NodeRecord[]> {
  const dir = nodesDir(stateDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsError('list', dir, e);
  }
  const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
  const recs = await Promise.all(ids.map((id) => readRecord(stateDir, id)));
  return recs.filter((r): r is NodeRecord => r !== undefined);
}

/** Forgets a node; already forgotten is fine. */
export async function removeRecord(stateDir: string, id: string): Promise<void> {
  const path = recordPath(stateDir, id);
  try {
    await rm(path, { force: true });
  } catch (e) {
    throw fsError('remove', path, e);
  }
}
