import { deserialize, serialize } from 'node:v8';
import type { ActorRef } from '../protocol/messages.js';
import { handleRef } from './actor-handle.js';
import { SerializationError } from './errors.js';
import { ObjectRef } from './object-ref.js';

/**
 * Values travel with node:v8 serialization (structured clone: Map, Set, Date, BigInt, typed arrays survive;
 * class instances arrive as plain objects). ObjectRefs are encoded explicitly wherever they appear, and values
 * that cannot travel (functions, symbols) are reported with their path before v8 sees them.
 */
const REF_KEY = '\u0000raylaunch.ref';
const HANDLE_KEY = '\u0000raylaunch.actor';
/** What both markers start with: one scan of the bytes finds either (a scan costs ~60 ms per 100 MB). */
const MARKER_PREFIX_BYTES = Buffer.from('\u0000raylaunch.', 'latin1');

/** Makes a decoded actor handle usable (gives it its methods); without one, a handle stays its marker record. */
export type HandleReviver = (ref: ActorRef) => unknown;

export interface Encoded {
  bytes: Uint8Array;
  /** Ids of every ref inside the value, at any depth. */
  refs: string[];
}

const isPlainContainer = (v: object) => !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) && !(v instanceof Date) && !(v instanceof RegExp);

/** Replaces refs with markers (copying only what changes) and rejects what cannot be cloned. */
function encodeRefs(value: unknown, path: string, refs: string[], seen: Set<object>): unknown {
  if (value instanceof ObjectRef) {
    refs.push(value.id);
    return { [REF_KEY]: value.id };
  }
  if (typeof value === 'function') throw new SerializationError(`${path} is a function, which cannot be sent between processes`, { path });
  if (typeof value === 'symbol') throw new SerializationError(`${path} is a symbol, which cannot be sent between processes`, { path });
  if (typeof value !== 'object' || value === null || !isPlainContainer(value)) return value;
  const actor = handleRef(value);
  if (actor) return { [HANDLE_KEY]: actor };
  if (seen.has(value)) return value; // cycles are fine for v8; walk each object once
  seen.add(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const e = encodeRefs(v, `${path}[${i}]`, refs, seen);
      if (e !== v) (out ??= value.slice())[i] = e;
    });
    return out ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries = [...value].map(([k, v]) => {
      const ek = encodeRefs(k, `${path}.<map key>`, refs, seen);
      const ev = encodeRefs(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : '…'})`, refs, seen);
      if (ek !== k || ev !== v) changed = true;
      return [ek, ev] as const;
    });
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items = [...value].map((v) => {
      const e = encodeRefs(v, `${path}.<set item>`, refs, seen);
      if (e !== v) changed = true;
      return e;
    });
    return changed ? new Set(items) : value;
  }
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    const e = encodeRefs(v, `${path}.${k}`, refs, seen);
    if (e !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = e;
  }
  return out ?? value;
}

/** Encodes one value; `what` names it in errors ("argument 2", "the return value of add"). */
export function encodeValue(value: unknown, what: string): Encoded {
  const refs: string[] = [];
  const prepared = encodeRefs(value, what, refs, new Set());
  try {
    return { bytes: serialize(prepared), refs };
  } catch (e) {
    throw new SerializationError(`${what} cannot be sent between processes: ${(e as Error).message}`, { path: what });
  }
}

function decodeRefs(value: unknown, seen: Set<object>, reviveHandle: HandleReviver | undefined): unknown {
  if (typeof value !== 'object' || value === null || !isPlainContainer(value) || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeRefs(value[i], seen, reviveHandle);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [decodeRefs(k, seen, reviveHandle), decodeRefs(v, seen, reviveHandle)] as const);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
    return value;
  }
  if (value instanceof Set) {
    const items = [...value].map((v) => decodeRefs(v, seen, reviveHandle));
    value.clear();
    for (const v of items) value.add(v);
    return value;
  }
  const rec = value as Record<string, unknown>;
  const id = rec[REF_KEY];
  if (typeof id === 'string' && Object.keys(rec).length === 1) return ObjectRef.of(id);
  const actor = rec[HANDLE_KEY] as ActorRef | undefined;
  if (actor && Object.keys(rec).length === 1) return reviveHandle ? reviveHandle(actor) : rec;
  for (const k of Object.keys(rec)) rec[k] = decodeRefs(rec[k], seen, reviveHandle);
  return rec;
}

/** Decodes a value; refs inside come back as ObjectRef instances, actor handles as `reviveHandle` makes them. */
export function decodeValue(bytes: Uint8Array, reviveHandle?: HandleReviver): unknown {
  const value: unknown = deserialize(bytes);
  // A typed array, buffer or primitive cannot hold a marker: the walk would return it as it is, and scanning its
  // bytes would cost more than the transfer (a large typed array is exactly the value that is big).
  if (typeof value !== 'object' || value === null || !isPlainContainer(value)) return value;
  // Most values hold no refs: skip the walk unless a marker occurs in the bytes at all.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.includes(MARKER_PREFIX_BYTES) ? decodeRefs(value, new Set(), reviveHandle) : value;
}
