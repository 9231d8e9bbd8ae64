// Compile-time check of the job API contract (docs/api.md): its example, and uses of each declaration,
// must type-check under strict and noUncheckedIndexedAccess. `npm test` runs tsc over this file; it never runs.
import {
  type ActorHandle, ActorDiedError, ActorNameTakenError, ActorNotFoundError, availableResources, cancel, clusterResources, get,
  getActor, getRuntimeContext, GetTimeoutError, init, kill, main, nodes, type NodeInfo, ObjectLostError, type ObjectRef,
  placementGroup, put, RaylaunchRuntimeError, remote, removePlacementGroup, requestResources, SerializationError, shutdown,
  TaskCancelledError, TaskError, wait, WorkerCrashedError,
} from '../../src/client/index.js';

export const add = remote(function add(a: number, b: number) { return a + b; });
export const Counter = remote(class Counter {
  n: number; constructor(start = 0) { this.n = start; }
  incr(by = 1) { return (this.n += by); }
}, { maxRestarts: 1 });

main(async () => {
  const r = add.remote(1, 2);
  const [x, y] = await get([add.remote(1, 1), add.remote(r, 10)]);
  const sum: number = x + y;
  const c: ActorHandle<typeof Counter> = Counter.remote(10);
  const fifteen: number = await get(c.incr.remote(5));
  Counter.options({ name: 'shared' }).remote(0);
  const same = await getActor<typeof Counter>('shared');
  const again: number = await get(same.incr.remote());
  const big = put(new Float64Array(1_000_000));
  const arr: Float64Array = await get(big);
  const refs = [add.remote(1, 2), add.remote(3, 4)];
  const [ready, pending]: [ObjectRef<number>[], ObjectRef<number>[]] = await wait(refs, { numReturns: 1, timeoutMs: 1000 });
  void [sum, fifteen, again, arr, ready, pending];

  const pg = placementGroup([{ CPU: 1 }, { GPU: 1 }], { strategy: 'STRICT_SPREAD', name: 'g' });
  await pg.ready({ timeoutMs: 10 });
  add.options({ placementGroup: pg, bundleIndex: 0, numCpus: 0.5, maxRetries: 1, retryExceptions: true }).remote(1, 2);
  Counter.options({ placementGroup: pg, bundleIndex: 1, lifetime: 'detached', namespace: 'ns', maxConcurrency: 2, maxTaskRetries: 1 }).remote();
  await removePlacementGroup(pg);
  await requestResources({ numCpus: 4, bundles: [{ GPU: 1 }] });
  await cancel(r, { force: true, recursive: false });
  await kill(c, { noRestart: false });
  const ns: NodeInfo[] = await nodes();
  const total: Record<string, number> = await clusterResources();
  const free: Record<string, number> = await availableResources();
  const ctx: { jobId: string; nodeId: string; taskId?: string; actorId?: string } = getRuntimeContext();
  void [ns, total, free, ctx];
  const untyped: ActorHandle<any> = await getActor('anything'); // eslint-disable-line @typescript-eslint/no-explicit-any
  void untyped;
  const classify = (e: unknown) => e instanceof TaskError ? [e.remoteName, e.remoteStack, e.taskName, e.nodeId, e.pid]
    : [ActorDiedError, ObjectLostError, GetTimeoutError, TaskCancelledError, WorkerCrashedError, SerializationError, ActorNotFoundError,
      ActorNameTakenError].some((C) => e instanceof C) && e instanceof RaylaunchRuntimeError;
  void classify;
  // @ts-expect-error a wrong argument type is caught at compile time
  add.remote('one', 2);
  await init({ address: 'x', token: 'y', namespace: 'z' });
  await shutdown();
});
