// An example job: tasks, chained refs, put/wait and a nested task, on whatever cluster it is submitted to.
//   raylaunch submit example-configs/process.yaml examples/hello.ts
import { get, getRuntimeContext, main, nodes, put, remote, wait } from 'raylaunch';

export const square = remote(function square(x: number) {
  return x * x;
});

export const add = remote(function add(a: number, b: number) {
  return a + b;
});

export const where = remote(function where() {
  return getRuntimeContext().nodeId;
});

export const sumOfSquares = remote(async function sumOfSquares(n: number) {
  // A task may start tasks of its own; its CPU is lent back while it waits.
  const parts = await get(Array.from({ length: n }, (_, i) => square.remote(i)));
  return parts.reduce((a, b) => a + b, 0);
});

main(async () => {
  const squares = await get([1, 2, 3, 4].map((x) => square.remote(x)));
  console.log('squares:', squares);

  const chained = add.remote(square.remote(3), 1); // the ref is resolved before add runs
  console.log('3*3 + 1 =', await get(chained));

  const big = put(new Float64Array(100_000).fill(1.5));
  const [ready] = await wait([add.remote(1, 2), sumOfSquares.remote(10)], { numReturns: 2, timeoutMs: 30_000 });
  console.log('ready:', ready.length, 'sum of squares below 10:', await get(sumOfSquares.remote(10)));
  console.log('put a', (await get(big)).length, 'element array');

  const placed = new Set(await get(Array.from({ length: 8 }, () => where.remote())));
  console.log(`tasks ran on ${placed.size} node(s); the cluster has ${(await nodes()).filter((n) => n.alive).length} live node(s)`);
});
