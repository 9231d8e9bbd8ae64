/**
 * Waiting for Compute operations: `wait` holds the call until the operation is DONE or about two minutes have
 * passed, so a bounded number of calls covers even a slow operation without polling on a timer of our own.
 */
import { TransientProviderError } from '../errors.js';
import type { GcpClients } from './sdk.js';

/** The operation fields raylaunch reads. */
export interface OperationView {
  name?: string | null;
  status?: string | number | null;
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
  httpErrorStatusCode?: number | null;
  instancesBulkInsertOperationMetadata?: { perLocationStatus?: Record<string, { createdVmCount?: number | null }> | null } | null;
}

/** wait calls per operation: ten of GCE's two-minute holds, far beyond any launch. */
export const WAIT_CALLS = 10;

const done = (op: OperationView) => op.status === 'DONE' || op.status === 2104194;

/** The operation once DONE: zonal when `zone` is given, else global. */
export async function awaitOperation(c: GcpClients, project: string, op: OperationView, zone?: string): Promise<OperationView> {
  let cur = op;
  for (let i = 0; i < WAIT_CALLS && !done(cur); i++) {
    const name = cur.name ?? '';
    [cur] = zone !== undefined
      ? await c.zoneOperations.wait({ project, zone, operation: name })
      : await c.globalOperations.wait({ project, operation: name });
  }
  if (!done(cur)) throw new TransientProviderError(`operation ${cur.name ?? ''} is still ${String(cur.status)} after ${WAIT_CALLS} waits`, { hint: 'retried later; the request id keeps the retry from acting twice' });
  return cur;
}

/** The operation an LRO-returning call answered with. */
export const operationOf = (res: readonly unknown[]): OperationView => ((res[0] as { latestResponse?: OperationView } | undefined)?.latestResponse ?? {});
