// The job bench/tasks.ts runs on a process cluster: it measures each figure and prints one JSON line.
import { get, main, placementGroup, put, remote, wait, type ObjectRef } from 'raylaunch';

export const noop = remote(function noop() { return process.pid; });
export const Echo = remote(class Echo { ping() { return 0; } });
export const makeBig = remote(function makeBig() { return new Float64Array(12_500_000).fill(1); }); // 100 MB
export const touch = remote(function touch(x: Float64Array) { return x.byteLength; });
export const smallPuts = remote(function smallPuts(n: number) { return Array.from({ length: n }, (_, i) => put(i)); });

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function timed(fn: () => Promise<number>): Promise<number> {
  const t0 = performance.now();
  const n = await fn();
  return rate(n, performance.now() - t0);
}

main(async () => {
  await get(Array.from({ length: 2000 }, () => noop.remote())); // warm up the worker pools
  const pids = new Set<number>();
  const out: Record<string, number> = {};

  // Steady state: 30 rounds of 1000 in flight (about 4 s), as Ray's microbenchmarks run for seconds.
  out.tasks_async = await timed(async () => {
    for (let b = 0; b < 30; b++) for (const pid of await get(Array.from({ length: 1000 }, () => noop.remote()))) pids.add(pid);
    return 30_000;
  });
  out.worker_pids = pids.size;
  out.tasks_sync = await timed(async () => {
    for (let i = 0; i < 1000; i++) await get(noop.remote());
    return 1000;
  });

  const echo = Echo.remote();
  await get(echo.ping.remote());
  out.actor_sync = await timed(async () => {
    for (let i = 0; i < 1000; i++) await get(echo.ping.remote());
    return 1000;
  });
  out.actor_async = await timed(async () => {
    for (let b = 0; b < 30; b++) await get(Array.from({ length: 1000 }, () => echo.ping.remote()));
    return 30_000;
  });

  let refs: ObjectRef<number>[] = [];
  out.put_local = await timed(async () => {
    refs = Array.from({ length: 10_000 }, (_, i) => put(i));
    return 10_000;
  });
  out.get_local = await timed(async () => {
    for (const r of refs) await get(r);
    return refs.length;
  });
  const remoteRefs = await get(smallPuts.remote(2000));
  out.get_remote = await timed(async () => {
    for (const r of remoteRefs) await get(r);
    return remoteRefs.length;
  });

  const pg = placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_SPREAD' });
  await pg.ready({ timeoutMs: 30_000 });
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const big = makeBig.options({ placementGroup: pg, bundleIndex: 0 }).remote();
    await wait([big], { timeoutMs: 60_000 });
    const t0 = performance.now();
    await get(touch.options({ placementGroup: pg, bundleIndex: 1 }).remote(big));
    samples.push(100 / ((performance.now() - t0) / 1000));
  }
  out.mb_per_s_100mb = Math.round(samples.sort((a, b) => a - b)[2] ?? 0);
  console.log(`BENCH ${JSON.stringify(out)}`);
});
