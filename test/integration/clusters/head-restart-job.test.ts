// Issue 16's "Done when", on the process provider: a head service killed with SIGKILL mid-job — tasks in flight
// on the workers, an actor holding state, a detached named actor, a placement group, a job streaming output —
// and the job finishes as if nothing happened: the right answer and exit 0, the actor's state intact, the
// detached actor found by its name, the group's reservation kept, `status` listing the same nodes, no node
// launched or terminated, and the output `submit` followed with no gap and no repeat. The same scenario runs with
// each persistent GCS store: it is the store that carries the head's state across the restart.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { TestCluster } from '../../helpers/cluster.js';
import { assertNoGapNoRepeat, killHead, STORES } from '../../helpers/head-restart.js';
import { until } from '../../helpers/until.js';

const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** What must be the same about the nodes before and after the restart. */
const nodesOf = (s: StatusJson) => s.nodes.map((n) => ({ id: n.node_id, type: n.node_type, address: n.address, state: n.state, total: n.total, pid: n.pid })).sort((a, b) => a.id.localeCompare(b.id));
const actorsOf = (s: StatusJson) => s.actors.map((a) => ({ id: a.actor_id, name: a.name, state: a.state, node: a.node_id, restarts: a.restarts })).sort((a, b) => a.id.localeCompare(b.id));

for (const store of STORES) {
  describe(`a job across a kill -9 of the head service (process provider, GCS store: ${store.name})`, function () {
    this.timeout(300_000);
    const name = `restart-job-${store.id}`;
    let cluster: TestCluster | undefined;
    let close: (() => Promise<void>) | undefined;
    before(async () => {
      const opened = await store.open();
      close = opened.close;
      // No CPU on the head: every task and the group's bundle run on the two workers.
      cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 0, workers: 2, workerCpus: 2, extra: opened.raylaunch }));
      await cluster.start();
    });
    after(async () => {
      try {
        await cluster?.stop();
      } finally {
        await close?.();
      }
    });

    it('finishes with the right answer and exit 0, keeps its actors, group and nodes, launches or terminates nothing, and its output has no gap and no repeat', async () => {
      assert.ok(cluster);
      const c = cluster;
      const state = join(c.home, 'clusters', name);
      const signals = mkdtempSync(join(c.dir, 'signals-'));
      // `submit` follows the job's output all along, across the restart; its settled check after the job holds too.
      const submit = c.cli(['submit', c.configFile, c.writeFixture('head-restart-job/whole.ts'), '--', signals], 240_000);
      const jobId = await until('the job\'s folder', 60_000, () => (existsSync(join(state, 'jobs')) ? readdirSync(join(state, 'jobs')).find((d) => d.startsWith('job-')) : undefined));
      const stdout = () => read(join(state, 'jobs', jobId, 'stdout.log'));
      const started = () => [1, 2, 3].map((x) => read(join(signals, `started-${x}`)).trim());
      await until('the three tasks to start and the actors to hold their state', 120_000, () => {
        if (started().every((n) => n !== '') && /^counter 7$/m.test(stdout()) && /^keeper 5$/m.test(stdout())) return true;
        throw new Error(`tasks started on [${started().join(', ')}]; the job's output ends ${JSON.stringify(stdout().replace(/^tick \d+\n/gm, '').slice(-600))}`);
      });
      const workers = c.nodeRecords().filter((n) => n.kind === 'worker').map((n) => n.id);
      assert.equal(workers.length, 2);
      for (const node of started()) assert.ok(workers.includes(node), `a task runs on ${node}, a worker`);
      const before = await until('the status to show the three tasks running', 60_000, async () => {
        const s = await c.status();
        return s.tasks.running === 3 ? s : undefined;
      });
      assert.equal(before.placement_groups.length, 1);
      assert.equal(actorsOf(before).length, 2);
      const records = c.nodeRecords().map((n) => `${n.id} ${n.pid}`).sort();
      const killedAt = Date.now();

      await killHead(c);
      // The agents reconnect and re-report the tasks they still run.
      const after = await until('every node back with its tasks', 90_000, async () => {
        const s = await c.status().catch(() => undefined);
        return s && s.tasks.running === 3 && s.nodes.every((n) => n.state === 'ALIVE') ? s : undefined;
      });
      assert.deepEqual(nodesOf(after), nodesOf(before), 'status lists the same nodes');
      assert.deepEqual(after.placement_groups, before.placement_groups, 'the group keeps its reservation');
      assert.deepEqual(actorsOf(after), actorsOf(before), 'the actors are where they were');
      writeFileSync(join(signals, 'release'), '');

      const r = await submit;
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      // counter 7 + 1 and keeper 5 + 1: the actors' state from before the restart, the detached one found by name.
      assert.match(r.stdout, /^answer squares 1,4,9 counter 8 keeper 6$/m);
      const groupNode = /^group ran on (\S+)$/m.exec(r.stdout)?.[1];
      assert.equal(groupNode, before.placement_groups[0]?.bundles[0]?.node_id, 'work in the group runs on its reserved node');
      const last = Number(/^last tick (\d+)$/m.exec(r.stdout)?.[1]);
      assertNoGapNoRepeat(r.stdout, last, 'the output submit followed across the restart');
      assertNoGapNoRepeat(stdout(), last, 'the job\'s log');
      assert.match(read(join(state, 'jobs', jobId, 'stderr.log')), /raylaunch: lost the connection to the head/, 'the driver saw the head go');
      assert.deepEqual(started().map((nodes) => nodes.split('\n').length), [1, 1, 1], 'no task ran twice');

      const end = await c.status();
      assert.deepEqual(end.jobs.map((j) => [j.job_id, j.status, j.exit_code]), [[jobId, 'SUCCEEDED', 0]]);
      assert.deepEqual(c.nodeRecords().map((n) => `${n.id} ${n.pid}`).sort(), records, 'the provider launched and terminated no node');
      assert.deepEqual((end.autoscaler?.events ?? []).filter((e) => (e.kind === 'launch' || e.kind === 'terminate') && e.at >= killedAt), []);
      assert.equal(existsSync(join(state, 'gcs.sqlite')), store.sqliteFile, `the head kept its state in ${store.name}`);
    });
  });
}
