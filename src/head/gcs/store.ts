/**
 * The GCS's storage seam. Tables of records by key plus a KV store; in memory for now, with persistent
 * backends (sqlite, redis) to come behind the same interface and the same conformance tests.
 */
export interface Table<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  delete(key: string): boolean;
  values(): T[];
  readonly size: number;
}

export interface GcsStore {
  table<T>(name: string): Table<T>;
  /** Small internal values by key (autoscaler state, request_resources, …). */
  readonly kv: Table<Uint8Array>;
}

class MemoryTable<T> implements Table<T> {
  private readonly map = new Map<string, T>();
  get(key: string): T | undefined { return this.map.get(key); }
  set(key: string, value: T): void { this.map.set(key, value); }
  delete(key: string): boolean { return this.map.delete(key); }
  values(): T[] { return [...this.map.values()]; }
  get size(): number { return this.map.size; }
}

export class MemoryStore implements GcsStore {
  private readonly tables = new Map<string, MemoryTable<unknown>>();
  readonly kv = new MemoryTable<Uint8Array>();

  table<T>(name: string): Table<T> {
    let t = this.tables.get(name);
    if (!t) {
      t = new MemoryTable<unknown>();
      this.tables.set(name, t);
    }
    return t as Table<T>;
  }
}
