import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { TestHost, TestHostPool } from './hosts/hosts.js';
import { TestCluster } from './cluster.js';

/**
 * example-configs/local.yaml pointed at test hosts: the same file a user starts from, with its addresses, user
 * and key replaced (and any top-level key set by `set`), its comments kept.
 */
export function localConfigFor(name: string, pool: TestHostPool, head: TestHost, workers: TestHost[], set: Record<string, unknown> = {}): string {
  const doc = parseDocument(readFileSync(join(import.meta.dirname, '../../example-configs/local.yaml'), 'utf8'));
  doc.set('cluster_name', name);
  doc.setIn(['provider', 'head_ip'], head.ip);
  doc.setIn(['provider', 'worker_ips'], workers.map((w) => w.ip));
  doc.setIn(['auth', 'ssh_user'], pool.user);
  doc.setIn(['auth', 'ssh_private_key'], pool.keyPath);
  for (const [key, value] of Object.entries(set)) doc.set(key, value);
  return doc.toString();
}

export function localCluster(name: string, pool: TestHostPool, head: TestHost, workers: TestHost[], set: Record<string, unknown> = {}): TestCluster {
  return new TestCluster(name, localConfigFor(name, pool, head, workers, set));
}

/** PIDs of raylaunch's processes on a host (its daemon, agents, workers, drivers): those running from ~/.raylaunch. */
export async function raylaunchPids(pool: TestHostPool, h: TestHost): Promise<number[]> {
  const pids = await pool.pids(h);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('.raylaunch');
    } catch {
      return false;
    }
  });
}

/** A cluster's state folder on a test host (~/.raylaunch/clusters/<name>), read from this machine. */
export const hostStateDir = (h: TestHost, cluster: string): string => join(h.home, '.raylaunch', 'clusters', cluster);

/** The head's head.json on its host: where the head service listens and its pid (test hosts share our pids). */
export async function hostHeadInfo(pool: TestHostPool, h: TestHost, cluster: string): Promise<{ address: string; pid: number }> {
  const r = await pool.exec(h, `cat .raylaunch/clusters/${cluster}/head.json`);
  if (r.code !== 0) throw new Error(`no head.json on ${h.ns}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { address: string; pid: number };
}
