import type { ActorRef } from '../protocol/messages.js';
import { requireRuntime } from './context.js';
import type { ObjectRef } from './object-ref.js';

const HANDLE = Symbol.for('raylaunch.actorHandle');

export type CallFn = (ref: ActorRef, method: string, args: unknown[]) => ObjectRef<unknown>;

/**
 * An actor handle: a plain object with one `{ remote }` per method of the class (no Proxy), so that handles can
 * be passed to tasks and other actors; the actor's identity travels in a hidden property.
 */
export function makeHandle(ref: ActorRef, call: CallFn): Record<string, unknown> {
  const h: Record<string, unknown> = {};
  for (const m of ref.methods) h[m] = { remote: (...args: unknown[]) => call(ref, m, args) };
  Object.defineProperty(h, HANDLE, { value: ref, enumerable: false });
  return h;
}

/** A handle whose calls go through this process's runtime (looked up at each call, as the API's functions do). */
export function boundHandle(ref: ActorRef): Record<string, unknown> {
  return makeHandle(ref, (r, method, args) => requireRuntime(`${method}.remote()`).callActor(r, method, args));
}

export function handleRef(v: unknown): ActorRef | undefined {
  return typeof v === 'object' && v !== null ? ((v as Record<symbol, unknown>)[HANDLE] as ActorRef | undefined) : undefined;
}

/** The methods a handle offers: every function on the class's prototype chain but the constructor. */
export function methodsOf(cls: abstract new (...args: never[]) => object): string[] {
  const out = new Set<string>();
  for (let p = cls.prototype as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (name !== 'constructor' && typeof d?.value === 'function') out.add(name);
    }
  }
  return [...out];
}
