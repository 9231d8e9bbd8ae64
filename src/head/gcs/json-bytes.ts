/**
 * Store records are JSON values (store.ts): the bytes some records carry (an actor's constructor arguments, an
 * inline object) go in as base64 and come back as Uint8Array. Pure.
 */
import type { ActorSpec, ObjectValue, TaskArg } from '../../protocol/messages.js';

/** A TaskArg as stored: a ref, or its value as base64. */
export type StoredArg = { ref: string } | { b64: string };

const b64 = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

export const storeArgs = (args: readonly TaskArg[]): StoredArg[] => args.map((a) => ('ref' in a ? { ref: a.ref } : { b64: b64(a.value) }));
export const loadArgs = (args: readonly StoredArg[]): TaskArg[] => args.map((a) => ('ref' in a ? { ref: a.ref } : { value: bytes(a.b64) }));

/** An actor's spec as stored: its constructor arguments as base64, the rest as it is. */
export type StoredActorSpec = Omit<ActorSpec, 'ctorArgs'> & { ctorArgs: StoredArg[] };
export const storeSpec = (spec: ActorSpec): StoredActorSpec => ({ ...spec, ctorArgs: storeArgs(spec.ctorArgs) });
export const loadSpec = (spec: StoredActorSpec): ActorSpec => ({ ...spec, ctorArgs: loadArgs(spec.ctorArgs) });

/** An inline value or an error, as stored (a stored object's location is re-reported by its node's agent). */
export type StoredValue = { kind: 'inline'; b64: string } | Extract<ObjectValue, { kind: 'error' }>;
export const storeValue = (v: ObjectValue): StoredValue | undefined => (v.kind === 'inline' ? { kind: 'inline', b64: b64(v.data) } : v.kind === 'error' ? v : undefined);
export const loadValue = (v: StoredValue): ObjectValue => (v.kind === 'inline' ? { kind: 'inline', data: bytes(v.b64) } : v);
