// The whole-job scenario of issue 16's "Done when", shared by its process-provider and SSH-host tests: the job
// (fixture head-restart-job/whole.ts) with tasks in flight, an actor holding state, a detached named actor, a
// placement group and streamed output, started; then, after the test killed the head service, what must hold.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusJson } from '../../src/cli/status-json.js';
import type { TestCluster } from './cluster.js';
import { assertNoGapNoRepeat } from './head-restart.js';
import type { CliResult } from './run-cli.js';
import { until } from './until.js';

export const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** What must be the same about the nodes before and after the restart. */
export const nodesOf = (s: StatusJson) => s.nodes.map((n) => ({ id: n.node_id, type: n.node_type, address: n.address, state: n.state, total: n.total, pid: n.pid })).sort((a, b) => a.id.localeCompare(b.id));
export const actorsOf = (s: StatusJson) => s.actors.map((a) => ({ id: a.actor_id, name: a.name, state: a.state, node: a.node_id, restarts: a.restarts })).sort((a, b) => a.id.localeCompare(b.id));

/** Where the scenario runs: the cluster, the head's state folder as this machine sees it, the folder tasks and test meet in. */
export interface Scene { c: TestCluster; state: string; signals: string }

export interface RunningJob {
  submit: Promise<CliResult>;
  jobId: string;
  /** The job's stdout file on the head. */
  stdout(): string;
  /** Per task, the node(s) it started on, one line per start. */
  started(): string[];
  /** The status once all three tasks run. */
  before: StatusJson;
}

/** Submits the job (`submit` follows its output all along) and waits until its three tasks run and both actors hold their state. */
export async function startWholeJob(s: Scene): Promise<RunningJob> {
  const { c, state, signals } = s;
  const submit = c.cli(['submit', c.configFile, c.writeFixture('head-restart-job/whole.ts'), '--', signals], 240_000);
  const jobId = await until('the job\'s folder', 60_000, () => (existsSync(join(state, 'jobs')) ? readdirSync(join(state, 'jobs')).find((d) => d.startsWith('job-')) : undefined));
  const stdout = () => read(join(state, 'jobs', jobId, 'stdout.log'));
  const started = () => [1, 2, 3].map((x) => read(join(signals, `started-${x}`)).trim());
  await until('the three tasks to start and the actors to hold their state', 120_000, () => {
    if (started().every((n) => n !== '') && /^counter 7$/m.test(stdout()) && /^keeper 5$/m.test(stdout())) return true;
    throw new Error(`tasks started on [${started().join(', ')}]; the job's output ends ${JSON.stringify(stdout().replace(/^tick \d+\n/gm, '').slice(-600))}`);
  });
  const before = await until('the status to show the three tasks running', 60_000, async () => {
    const st = await c.status();
    return st.tasks.running === 3 ? st : undefined;
  });
  assert.equal(before.placement_groups.length, 1);
  assert.equal(actorsOf(before).length, 2);
  return { submit, jobId, stdout, started, before };
}

/**
 * After the head service was killed at `killedAt`: every node back with its tasks, the same nodes, group and actors;
 * the job finishes with the right answer and exit 0, its actors' state kept, its group's work on the reserved node,
 * its output with no gap and no repeat, no task run twice, nothing launched or terminated. Returns the last status.
 */
export async function assertWholeJobRecovered(s: Scene, job: RunningJob, killedAt: number): Promise<StatusJson> {
  const { c, state, signals } = s;
  const { before, jobId } = job;
  // The agents reconnect and re-report the tasks they still run.
  const after = await until('every node back with its tasks', 90_000, async () => {
    const st = await c.status().catch(() => undefined);
    return st && st.tasks.running === 3 && st.nodes.every((n) => n.state === 'ALIVE') ? st : undefined;
  });
  assert.deepEqual(nodesOf(after), nodesOf(before), 'status lists the same nodes');
  assert.deepEqual(after.placement_groups, before.placement_groups, 'the group keeps its reservation');
  assert.deepEqual(actorsOf(after), actorsOf(before), 'the actors are where they were');
  writeFileSync(join(signals, 'release'), '');

  const r = await job.submit;
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  // counter 7 + 1 and keeper 5 + 1: the actors' state from before the restart, the detached one found by name.
  assert.match(r.stdout, /^answer squares 1,4,9 counter 8 keeper 6$/m);
  const groupNode = /^group ran on (\S+)$/m.exec(r.stdout)?.[1];
  assert.equal(groupNode, before.placement_groups[0]?.bundles[0]?.node_id, 'work in the group runs on its reserved node');
  const last = Number(/^last tick (\d+)$/m.exec(r.stdout)?.[1]);
  assertNoGapNoRepeat(r.stdout, last, 'the output submit followed across the restart');
  assertNoGapNoRepeat(job.stdout(), last, 'the job\'s log');
  assert.match(read(join(state, 'jobs', jobId, 'stderr.log')), /raylaunch: lost the connection to the head/, 'the driver saw the head go');
  assert.deepEqual(job.started().map((nodes) => nodes.split('\n').length), [1, 1, 1], 'no task ran twice');

  const end = await c.status();
  assert.deepEqual(end.jobs.map((j) => [j.job_id, j.status, j.exit_code]), [[jobId, 'SUCCEEDED', 0]]);
  assert.deepEqual((end.autoscaler?.events ?? []).filter((e) => (e.kind === 'launch' || e.kind === 'terminate') && e.at >= killedAt), []);
  return end;
}
