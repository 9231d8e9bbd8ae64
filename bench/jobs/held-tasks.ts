// The job bench/head-restart.ts keeps running while it kills the head: one task per worker (each takes the
// worker's only CPU), running until the gate file (the job's first argument) exists, so every agent has a task
// to re-report after each restart. The driver stays up with them (a job whose driver ends has its tasks
// cancelled); both are bounded in time.
import { existsSync } from 'node:fs';
import { get, main, remote } from 'raylaunch';

const LIMIT_MS = 20 * 60_000;

export const held = remote(async function held(gate: string, v: number) {
  const t0 = Date.now();
  while (!existsSync(gate) && Date.now() - t0 < LIMIT_MS) await new Promise((r) => setTimeout(r, 100));
  return v;
});

main(async (args) => {
  const gate = args[0] ?? '';
  const count = Number(args[1] ?? 3);
  const refs = Array.from({ length: count }, (_, i) => held.remote(gate, i));
  console.log('in flight');
  // The driver's connection goes with the first head it knew; its process stays, so the job stays running.
  const t0 = Date.now();
  const timer = setInterval(() => {
    if (existsSync(gate) || Date.now() - t0 > LIMIT_MS) clearInterval(timer);
  }, 200);
  await get(refs).catch(() => undefined);
});
