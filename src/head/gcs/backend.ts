/** What a GCS store backend does: hand over every row once, and commit batches of writes atomically. */

/** A record as a backend keeps it: its JSON text and version. */
export interface Row {
  table: string;
  key: string;
  version: number;
  value: string;
}

/**
 * One write of a batch. `expected` is the version the backend must hold now (undefined: no row); `version`
 * and `value` are the new row, both absent for a delete.
 */
export interface WriteOp {
  table: string;
  key: string;
  expected: number | undefined;
  version?: number;
  value?: string;
}

export interface Backend {
  /** Every row of every table. */
  load(): Promise<Row[]>;
  /**
   * Writes the batch all or nothing. A row not at its expected version fails the whole batch with
   * StoreConflictError and writes nothing.
   */
  commit(ops: readonly WriteOp[]): Promise<void>;
  close(): Promise<void>;
}
