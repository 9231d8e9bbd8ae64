// What the head-restart end-to-end tests share: killing the head service (never its supervisor) by the pid its
// head.json names and waiting for the supervisor's restart, and the numbered output lines that must come through
// a restart with no gap and no repeat, and the GCS stores the tests run with.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before } from 'mocha';
import { TestCluster } from './cluster.js';
import { startRedis } from './redis-server.js';
import { until } from './until.js';

/** Whether a pid names a live (not zombie) process. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** What a head's head.json says: where its service listens and its pid. */
export interface HeadInfo { address: string; pid: number }

/**
 * Kills the head service with SIGKILL and waits for the supervisor's restart at the same address. `headInfo`
 * reads the head's head.json wherever the head runs: this machine for the process provider, a test host for an
 * SSH cluster (a test host shares this machine's pids, so the kill and the liveness check are the same).
 */
export async function killHead(cluster: Pick<TestCluster, 'headInfo'> | { headInfo(): Promise<HeadInfo> }): Promise<HeadInfo> {
  const before = await cluster.headInfo();
  process.kill(before.pid, 'SIGKILL');
  const now = await until('the head to be restarted', 60_000, async () => {
    const info = await cluster.headInfo();
    return info.pid !== before.pid && alive(info.pid) ? info : undefined;
  });
  assert.equal(now.address, before.address, 'the restarted head keeps its address');
  return now;
}

/** The numbers of the `tick N` lines, in order. */
export function ticks(text: string): number[] {
  return [...text.matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1]));
}

/** The `tick N` lines are 0, 1, 2, … `last`, none missing or twice. */
export function assertNoGapNoRepeat(text: string, last: number, where: string): void {
  const seen = ticks(text);
  assert.equal(seen.length, last + 1, `${where}: ${seen.length} tick lines for ticks 0…${last}`);
  seen.forEach((n, i) => assert.equal(n, i, `${where}: line ${i} is tick ${n}`));
}

/** A GCS store the head-restart tests run with, and what it takes to run one. */
export interface Store {
  /** For cluster names. */
  id: string;
  name: string;
  /** Starts what the store needs; returns the config's `raylaunch:` line and how to stop it. */
  open(): Promise<{ raylaunch: string; close(): Promise<void> }>;
  /** Whether the head's state dir has the sqlite file (the store it used leaves it, or does not). */
  sqliteFile: boolean;
}

export const STORES: Store[] = [
  { id: 'sqlite', name: 'sqlite, the default', sqliteFile: true, open: () => Promise.resolve({ raylaunch: '', close: () => Promise.resolve() }) },
  {
    id: 'redis',
    name: 'a real redis-server',
    sqliteFile: false,
    open: async () => {
      const redis = await startRedis();
      return { raylaunch: `raylaunch: {gcs_storage: "${redis.url()}"}`, close: () => redis.stop() };
    },
  },
];

/**
 * For one describe: a process cluster whose head keeps its state in `store`, started before its tests (the store's
 * server first) and stopped after them (the store's server last). The getter fails before the cluster is started.
 */
export function processClusterOn(store: Store, name: string, o: Omit<Parameters<typeof TestCluster.processConfig>[1] & object, 'extra'>): () => TestCluster {
  let cluster: TestCluster | undefined;
  let close: (() => Promise<void>) | undefined;
  before(async () => {
    const opened = await store.open();
    close = opened.close;
    cluster = new TestCluster(name, TestCluster.processConfig(name, { ...o, extra: opened.raylaunch }));
    await cluster.start();
  });
  after(async () => {
    try {
      await cluster?.stop();
    } finally {
      await close?.();
    }
  });
  return () => {
    assert.ok(cluster, `cluster ${name} is not started`);
    return cluster;
  };
}
