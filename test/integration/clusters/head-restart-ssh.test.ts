// Issue 16's "Done when" on test hosts: the process provider's head-restart-job scenario on a `local` cluster of
// real SSH hosts, with each persistent GCS store. The head service on the head host is killed with SIGKILL mid-job
// (tasks in flight on the workers, an actor holding state, a detached named actor, a placement group, a job
// streaming output); the head host's supervisor restarts it, the agents on the worker hosts reconnect over the
// network, and the job finishes as if nothing happened: the right answer and exit 0, the actors' state intact, the
// detached actor found by its name, the group's reservation kept, `status` listing the same nodes, no host set up
// again or released, and the output `submit` followed with no gap and no repeat. With Redis, the server runs on
// this machine's address on the test bridge (the only address it listens on), with a password the head reads from
// the file raylaunch.gcs_storage_password_file names on its host.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { TestCluster } from '../../helpers/cluster.js';
import { killHead } from '../../helpers/head-restart.js';
import { assertWholeJobRecovered, read, startWholeJob } from '../../helpers/head-restart-job.js';
import { BRIDGE_IP, createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { hostHeadInfo, hostStateDir, localCluster } from '../../helpers/local-cluster.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';
import { answers, startRedis } from '../../helpers/redis-server.js';

/** A GCS store for a head on a test host: what the config's `raylaunch:` block says, and what it needs running. */
interface HostStore {
  id: string;
  name: string;
  /** Starts what the store needs for a head on `head`; returns the config's `raylaunch:` block and how to stop it. */
  open(head: TestHost): Promise<{ raylaunch?: Record<string, unknown>; close(): Promise<void>; keys?(cluster: string): string[] }>;
  /** Whether the head's state folder has the sqlite file. */
  sqliteFile: boolean;
}

const HOST_STORES: HostStore[] = [
  { id: 'sqlite', name: 'sqlite, the default', sqliteFile: true, open: () => Promise.resolve({ close: () => Promise.resolve() }) },
  {
    id: 'redis',
    name: 'a real redis-server on the test bridge, with a password from a file on the head',
    sqliteFile: false,
    open: async (head) => {
      const password = randomBytes(12).toString('hex');
      const redis = await startRedis({ host: BRIDGE_IP, requirepass: password });
      assert.equal(await answers('127.0.0.1', redis.port), false, 'redis-server listens on the test bridge alone, not on loopback');
      // The host's /root, as this machine sees it; the URL holds no password.
      writeFileSync(join(head.home, 'redis-password'), `${password}\n`, { mode: 0o600 });
      return {
        raylaunch: { gcs_storage: redis.url(), gcs_storage_password_file: '/root/redis-password' }, close: () => redis.stop(),
        keys: (cluster) => redis.keys(`raylaunch:${cluster}:*`),
      };
    },
  },
];

for (const store of HOST_STORES) {
  describe(`a job across a kill -9 of the head service (local cluster on SSH test hosts, GCS store: ${store.name})`, function () {
    this.timeout(300_000);
    if (!testHostsOrFail()) return;
    const name = `restart-ssh-${store.id}`;
    let pool: TestHostPool | undefined;
    let head: TestHost;
    let cluster: TestCluster | undefined;
    let opened: Awaited<ReturnType<HostStore['open']>> | undefined;
    // Tasks on the worker hosts and the test meet here: each host has its own /root and /tmp, /var/tmp is shared.
    let signals = '';

    before(async () => {
      pool = await createHosts(3);
      const [h, ...workers] = pool.hosts as [TestHost, ...TestHost[]];
      head = h;
      signals = mkdtempSync('/var/tmp/raylaunch-restart-ssh-');
      opened = await store.open(head);
      // No CPU on the head: every task and the group's bundle run on the two worker hosts, across the network.
      cluster = localCluster(name, pool, head, workers, {
        min_workers: 2, max_workers: 2, head_node_type: 'head',
        available_node_types: { head: { resources: { CPU: 0 }, node_config: {} }, worker: { resources: { CPU: 2 }, node_config: {}, min_workers: 2, max_workers: 2 } },
        ...(opened.raylaunch ? { raylaunch: opened.raylaunch } : {}),
      });
      await cluster.start();
    });
    after(async () => {
      try {
        await cluster?.stop();
      } finally {
        await opened?.close();
        await pool?.remove();
        if (signals) rmSync(signals, { recursive: true, force: true });
      }
    });

    it('finishes with the right answer and exit 0, keeps its actors, group and nodes, sets up or releases no host, and its output has no gap and no repeat', async () => {
      assert.ok(cluster && pool);
      const c = cluster;
      const p = pool;
      const state = hostStateDir(head, name);
      // Each host's supervisor: a host set up again (or released and taken back) would have a new one.
      const supervisors = () => p.hosts.map((h) => `${h.ns} ${read(join(hostStateDir(h, name), 'supervisor.pid')).trim()}`);
      const scene = { c, state, signals };
      const job = await startWholeJob(scene);
      const workers = job.before.nodes.filter((n) => n.kind === 'worker').map((n) => n.node_id);
      assert.equal(workers.length, 2);
      for (const node of job.started()) assert.ok(workers.includes(node), `a task runs on ${node}, a worker host`);
      const supervisorsBefore = supervisors();
      for (const line of supervisorsBefore) assert.match(line, / \d+$/, 'every host runs a supervisor');
      const killedAt = Date.now();

      const { pid } = await killHead({ headInfo: () => hostHeadInfo(p, head, name) });
      assert.match(read(join(state, 'logs', `${job.before.nodes.find((n) => n.kind === 'head')?.node_id ?? ''}.log`)), /raylaunch supervisor: head exited \(SIGKILL\); restarting/);
      // The agents on the worker hosts reconnect over the network.
      await assertWholeJobRecovered(scene, job, killedAt);
      assert.deepEqual(supervisors(), supervisorsBefore, 'no host was set up again or released');
      assert.equal((await hostHeadInfo(p, head, name)).pid, pid, 'the head restarted once');
      assert.equal(existsSync(join(state, 'gcs.sqlite')), store.sqliteFile, `the head kept its state in ${store.name}`);
      if (opened?.keys) assert.ok(opened.keys(name).includes(`raylaunch:${name}:jobs`), 'the job table is in redis');
    });
  });
}
