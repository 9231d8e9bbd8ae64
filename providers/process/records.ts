import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
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

/**
 * A node being started: written (durably) before its process is, so that a launcher that dies before it has
 * written the pid leaves a record of a node that may run. `nonce` is in the node's environment
 * (NODE_NONCE_VAR): it tells which process is this node when no pid was written (starting.ts). `launcher`: the
 * process that launches it (pid and start time), which finishes the record while it lives.
 */
export interface StartingRecord {
  id: string;
  nodeType: string;
  kind: NodeKind;
  requestId: string;
  state: 'starting';
  nonce: string;
  launcher: { pid: number; startTime: number };
  launchedAt: string;
  tags: Record<string, string>;
}

/** Any record in nodes/: a node started (pid known), or one being started. */
export type AnyRecord = NodeRecord | StartingRecord;

export const isStarting = (r: AnyRecord): r is StartingRecord => 'state' in r && r.state === 'starting';

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

/**
 * Writes a record atomically: a reader sees the old file or the new one, never a torn one; and durably (fsync of
 * the file, then of the folder), so a record written before its node starts is there after a crash.
 */
export async function writeRecord(stateDir: string, rec: AnyRecord): Promise<void> {
  const path = recordPath(stateDir, rec.id);
  // The temporary name does not end in .json, so listRecords never picks up a leftover one.
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const f = await open(tmp, 'wx', 0o600);
    try {
      await f.writeFile(`${JSON.stringify(rec, null, 2)}\n`);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, path);
    const dir = await open(nodesDir(stateDir), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fsError('write', path, e);
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

const isProcess = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 1;

/** Validates a parsed record; undefined for anything this provider did not write. */
export function parseRecord(v: unknown): AnyRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const common =
    typeof r.id === 'string' && NODE_ID.test(r.id) && typeof r.nodeType === 'string' && (r.kind === 'head' || r.kind === 'worker') &&
    typeof r.requestId === 'string' && typeof r.launchedAt === 'string' && isStringMap(r.tags);
  if (!common) return undefined;
  if (r.state === 'starting') {
    const l = r.launcher as Record<string, unknown> | null | undefined;
    const ok = typeof r.nonce === 'string' && r.nonce.length >= 16 && typeof l === 'object' && l !== null && isProcess(l.pid) && Number.isSafeInteger(l.startTime);
    return ok ? (r as unknown as StartingRecord) : undefined;
  }
  return isProcess(r.pid) && Number.isSafeInteger(r.startTime) ? (r as unknown as NodeRecord) : undefined;
}

/** The record of one node, or undefined when there is none (or it is not ours). */
export async function readRecord(stateDir: string, id: string): Promise<AnyRecord | undefined> {
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
export async function listRecords(stateDir: string): Promise<AnyRecord[]> {
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
  return recs.filter((r): r is AnyRecord => r !== undefined);
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
