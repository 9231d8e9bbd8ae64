import { existsSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil } from '../../src/common/wait.js';
import { isLive, type ProcStat, readStat, readStatSync } from './proc.js';
import type { StartingRecord } from './records.js';

/**
 * Nodes whose record says "starting": the launcher wrote the record, then started the process, and had not yet
 * written its pid. While the launcher lives it finishes the record; once it died (a head killed mid-launch), the
 * next reader decides: the node's process runs (found by the nonce in its environment) → adopt it, its pid and start
 * time written into the record; it does not → reap the record (nothing ran, or what ran is gone).
 */

/**
 * The variable that carries a starting record's nonce into its node's environment. A process is taken for the
 * node only when it leads its own session (every node does: it is started detached) and its environment holds
 * `<id>:<nonce>`: a nonce is 32 random hex digits, which no other process has unless it was given it, and only
 * processes of the same user show their environment. RAYLAUNCH_ variables are not passed on to the nodes a node
 * launches (providers/index.ts), so a head's nonce does not reach its workers.
 */
export const NODE_NONCE_VAR = 'RAYLAUNCH_PROCESS_NODE_NONCE';

export type StartingFate = { kind: 'pending' } | { kind: 'adopt'; pid: number; startTime: number } | { kind: 'reap' };

/** Pure: what to do with a starting record, from whether its launcher lives and the process its nonce found. */
export function startingFate(o: { launcherAlive: boolean; found: { pid: number; startTime: number } | undefined }): StartingFate {
  // Its launcher writes the pid itself: a reader meanwhile sees a node that is not yet running.
  if (o.launcherAlive) return { kind: 'pending' };
  if (o.found) return { kind: 'adopt', pid: o.found.pid, startTime: o.found.startTime };
  return { kind: 'reap' };
}

/** This process as a launcher: its pid and start time (a pid alone may be recycled). */
export function launcherIdentity(): { pid: number; startTime: number } {
  return { pid: process.pid, startTime: readStatSync(process.pid)?.startTime ?? 0 };
}

export async function launcherAlive(rec: StartingRecord): Promise<boolean> {
  const s = await readStat(rec.launcher.pid);
  return s !== undefined && isLive(s) && s.startTime === rec.launcher.startTime;
}

/** The live session leader whose environment carries this record's nonce, if any. */
export async function findStarted(rec: StartingRecord, procs: readonly ProcStat[]): Promise<ProcStat | undefined> {
  const mark = Buffer.from(`${NODE_NONCE_VAR}=${rec.id}:${rec.nonce}\0`);
  for (const p of procs) {
    if (!isLive(p) || p.sid !== p.pid) continue;
    let environ: Buffer;
    try {
      environ = await readFile(`/proc/${p.pid}/environ`);
    } catch {
      continue; // gone meanwhile, or another user's
    }
    if (environ.includes(mark)) return p;
  }
  return undefined;
}

/**
 * A test's hold on a launch: with RAYLAUNCH_TEST_LAUNCH_HOLD naming a folder that holds a file `hold-<point>`,
 * the launch of a worker says where it is (`at-<point>-<id>`) and waits until that file is removed (up to 10
 * minutes), so that a test can kill the head between the record and the start ('recorded') or between the start
 * and the pid ('started'). Without the variable it does nothing.
 */
export async function holdForTest(point: 'recorded' | 'started', id: string, kind: string): Promise<void> {
  const dir = process.env.RAYLAUNCH_TEST_LAUNCH_HOLD;
  if (!dir || kind !== 'worker' || !existsSync(join(dir, `hold-${point}`))) return;
  writeFileSync(join(dir, `at-${point}-${id}`), '');
  await pollUntil(() => (existsSync(join(dir, `hold-${point}`)) ? undefined : true), { timeoutMs: 600_000, every: 50 });
}
