// Issue 16's "Done when" on test hosts: the process provider's head-restart-job scenario on a `local` cluster of
// real SSH hosts. The head service on the head host is killed with SIGKILL mid-job (tasks in flight on the
// workers, an actor holding state, a detached named actor, a placement group, a job streaming output); the
// head host's supervisor restarts it, the agents on the worker hosts reconnect over the network, and the job
// finishes as if nothing happened: the right answer and exit 0, the actors' state intact, the detached actor found
// by its name, the group's reservation kept, `status` listing the same nodes, no host set up again or released,
// and the output `submit` followed with no gap and no repeat.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { StatusJson } from '../../../src/cli/status-json.js';
import type { TestCluster } from '../../helpers/cluster.js';
import { assertNoGapNoRepeat, killHead } from '../../helpers/head-restart.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { hostHeadInfo, hostStateDir, localCluster } from '../../helpers/local-cluster.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';
import { until } from '../../helpers/until.js';

const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** What must be the same about the nodes before and after the restart. */
const nodesOf = (s: StatusJson) => s.nodes.map((n) => ({ id: n.node_id, type: n.node_type, address: n.address, state: n.state, total: n.total, pid: n.pid })).sort((a, b) => a.id.localeCompare(b.id));
const actorsOf = (s: StatusJson) => s.actors.map((a) => ({ id: a.actor_id, name: a.name, state: a.state, node: a.node_id, restarts: a.restarts })).sort((a, b) => a.id.localeCompare(b.id));

describe('a job across a kill -9 of the head service (local cluster on SSH test hosts, GCS store: sqlite, the default)', function () {
  this.timeout(300_000);
  if (!testHostsOrFail()) return;
  const name = 'restart-ssh';
  let pool: TestHostPool | undefined;
  let head: TestHost;
  let cluster: TestCluster | undefined;
  // Tasks on the worker hosts and the test meet here: each host has its own /root and /tmp, /var/tmp is shared.
  let signals = '';

  before(async () => {
    pool = await createHosts(3);
    const [h, ...workers] = pool.hosts as [TestHost, ...TestHost[]];
    head = h;
    signals = mkdtempSync('/var/tmp/raylaunch-restart-ssh-');
    // No CPU on the head: every task and the group's bundle run on the two worker hosts, across the network.
    cluster = localCluster(name, pool, head, workers, {
      min_workers: 2, max_workers: 2, head_node_type: 'head',
      available_node_types: { head: { resources: { CPU: 0 }, node_config: {} }, worker: { resources: { CPU: 2 }, node_config: {}, min_workers: 2, max_workers: 2 } },
    });
    await cluster.start();
  });
  after(async () => {
    try {
      await cluster?.stop();
    } finally {
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
    const submit = c.cli(['submit', c.configFile, c.writeFixture('head-restart-job/whole.ts'), '--', signals], 240_000);
    const jobId = await until('the job\'s folder on the head host', 60_000, () => (existsSync(join(state, 'jobs')) ? readdirSync(join(state, 'jobs')).find((d) => d.startsWith('job-')) : undefined));
    const stdout = () => read(join(state, 'jobs', jobId, 'stdout.log'));
    const started = () => [1, 2, 3].map((x) => read(join(signals, `started-${x}`)).trim());
    await until('the three tasks to start and the actors to hold their state', 120_000, () => {
      if (started().every((n) => n !== '') && /^counter 7$/m.test(stdout()) && /^keeper 5$/m.test(stdout())) return true;
      throw new Error(`tasks started on [${started().join(', ')}]; the job's output ends ${JSON.stringify(stdout().replace(/^tick \d+\n/gm, '').slice(-600))}`);
    });
    const before = await until('the status to show the three tasks running', 60_000, async () => {
      const s = await c.status();
      return s.tasks.running === 3 ? s : undefined;
    });
    const workers = before.nodes.filter((n) => n.kind === 'worker').map((n) => n.node_id);
    assert.equal(workers.length, 2);
    for (const node of started()) assert.ok(workers.includes(node), `a task runs on ${node}, a worker host`);
    assert.equal(before.placement_groups.length, 1);
    assert.equal(actorsOf(before).length, 2);
    const supervisorsBefore = supervisors();
    for (const line of supervisorsBefore) assert.match(line, / \d+$/, 'every host runs a supervisor');
    const killedAt = Date.now();

    const { pid } = await killHead({ headInfo: () => hostHeadInfo(p, head, name) });
    assert.match(read(join(state, 'logs', `${before.nodes.find((n) => n.kind === 'head')?.node_id ?? ''}.log`)), /raylaunch supervisor: head exited \(SIGKILL\); restarting/);
    // The agents on the worker hosts reconnect and re-report the tasks they still run.
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
    assert.deepEqual(supervisors(), supervisorsBefore, 'no host was set up again or released');
    assert.deepEqual((end.autoscaler?.events ?? []).filter((e) => (e.kind === 'launch' || e.kind === 'terminate') && e.at >= killedAt), []);
    assert.equal((await hostHeadInfo(p, head, name)).pid, pid, 'the head restarted once');
    assert.ok(existsSync(join(state, 'gcs.sqlite')), 'the head kept its state in sqlite on its host');
  });
});
