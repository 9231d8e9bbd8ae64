/**
 * Remote functions registered at a job module's top level, by key. Worker processes load the same bundle and
 * look them up here. Registration closes when the module has finished loading.
 */
type AnyFn = (...args: unknown[]) => unknown;

const functions = new Map<string, AnyFn>();
let closed = false;

export function register(key: string, fn: AnyFn): void {
  if (closed) {
    throw new Error(`remote(${key}) was called after the job module finished loading: call remote() at the module's top level`);
  }
  if (functions.has(key)) {
    throw new Error(`two remote functions are registered under the key "${key}": give one of them remote(fn, { key: '…' })`);
  }
  functions.set(key, fn);
}

export function lookup(key: string): AnyFn | undefined {
  return functions.get(key);
}

export function closeRegistry(): void {
  closed = true;
}
