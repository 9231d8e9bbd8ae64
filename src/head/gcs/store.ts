/**
 * The GCS's storage seam: tables of records by key, mirrored in memory so every read is synchronous (the
 * scheduler's hot path never waits on a disk or a network), and changed only through a versioned
 * `update(key, fn)` whose promise resolves once the change is durable (Ray's `StoreClient` shape).
 *
 * - Reads see every update at once, in the same turn of the event loop, before it is durable.
 * - Records are values: what a table hands out is frozen, so a change made in place (without `update`) throws
 *   in strict mode instead of being silently lost by a backend that serializes. Records must be JSON values
 *   (no `undefined` fields, Maps or typed arrays): that is what every backend keeps and hands back after a
 *   restart.
 * - Each record carries a version, incremented by each update; a backend writes with a compare-and-set on the
 *   version it last wrote, so a second head writing the same store fails with `StoreConflictError` (fencing).
 * - Every update of one turn goes to the backend in one batch (one sqlite transaction, one redis script call),
 *   the last value of each key only.
 *
 * A write that fails (a conflict, a full disk, a lost redis) leaves the mirror ahead of the backend: the store
 * reports it to its `failed` hook once and refuses further writes; the head stops (main.ts) and a restarted
 * head loads what the backend has.
 */
export interface Table<T> {
  get(key: string): T | undefined;
  /** The version of a key's record (1 when first written, +1 per update); undefined when there is none. */
  version(key: string): number | undefined;
  values(): T[];
  keys(): string[];
  readonly size: number;
  /**
   * Replaces a record with what `fn` returns from the current one (undefined: delete it). The mirror has the
   * new value at once; the promise resolves when the backend has it too. Returning `prev` itself changes
   * nothing and writes nothing.
   */
  update(key: string, fn: (prev: T | undefined) => T | undefined, o?: UpdateOptions): Promise<void>;
  /**
   * Whether a record of this key has left for the backend (it holds it, or a batch under way writes it). False for
   * one still held in a write window: deleting it then writes nothing at all.
   */
  written(key: string): boolean;
}

export interface UpdateOptions {
  /**
   * Leaves with the batch of this turn even in a table with a write window: for a change that something the head
   * is about to do must not get ahead of (a queued call's record deleted before the call goes to its node).
   */
  now?: boolean;
}

export interface TableOptions {
  /**
   * How long an update of this table may wait to be written, so that the updates of many turns go in one batch:
   * for a table written at the rate of the work itself (one record per task result), whose every batch would
   * otherwise cost a commit (a disk sync, for sqlite) on the head's event loop. Its updates also leave with any
   * batch that goes before the window ends, and with flush() and close(). A head killed meanwhile loses them.
   */
  writeWithinMs?: number;
}

export interface GcsStore {
  /** The table of this name (the same object every time; the options of its first call hold). */
  table<T>(name: string, o?: TableOptions): Table<T>;
  /** The tables loaded or named so far. */
  tableNames(): string[];
  /** Resolves when every update made so far is durable. */
  flush(): Promise<void>;
  /** Writes what is pending and releases the backend; the store takes no update after. */
  close(): Promise<void>;
  /** Backend batches written so far (one per turn with updates): how tests see that a turn is one transaction. */
  readonly commits: number;
}

/**
 * A write could not be made because the record is not at the version this head last wrote: another head is
 * writing the same store. The head must stop; two heads on one store would each undo the other's state.
 */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  constructor(readonly table: string, readonly key: string, readonly where: string) {
    super(`another head is writing this store (${where}): record ${table}/${key} is not at the version this head wrote last`);
  }
}

/** The store is closed, or an earlier write failed: it takes no more writes. */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  constructor(why: string) {
    super(`the GCS store takes no more writes: ${why}`);
  }
}

/**
 * For writes made behind (the caller goes on without waiting for them): the store already reported a failure
 * to its `failed` hook, so the caller's copy of the rejection needs no handler of its own.
 */
export function writeBehind(p: Promise<void>): void {
  p.catch(() => undefined);
}

/** Freezes a JSON value and everything in it, so a change made in place throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  // Always down to the leaves: a frozen record built by spreading may still hold a fresh, unfrozen part.
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
