import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';
import { assertOutput } from '../../helpers/output-schemas.js';
import { until } from '../../helpers/until.js';

type Json = Record<string, unknown>;
type Check = (j: Json) => void;

describe('--json output of every command matches its schema, in snake_case', function () {
  this.timeout(60_000);
  const name = `json${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1 }));
  let jobFile = '';
  let streamingJob = '';
  let invalidConfig = '';
  let jobId = '';

  before(() => {
    jobFile = cluster.writeFixture('json-output/hello.ts');
    // Prints on both streams, then waits for the test to release it: its output must be seen while it runs.
    streamingJob = cluster.writeFixture('json-output/streaming.ts');
    invalidConfig = join(cluster.dir, 'invalid.yaml');
    writeFileSync(invalidConfig, `cluster_name: ${name}\nprovider: {type: process}\nmax_worker: 1\n`);
  });
  after(async () => { await cluster.stop(); });

  const step = (command: string, label: string, args: () => string[], code: number, check: Check) => {
    it(label, async () => {
      const r = await cluster.cli(args());
      assert.equal(r.code, code, r.stderr);
      const json = JSON.parse(r.stdout) as Json;
      assertOutput(command, json);
      check(json);
    });
  };
  const jobs = (j: Json) => j.jobs as Json[];

  step('validate', 'validate', () => ['validate', cluster.configFile, '--json'], 0, (j) => {
    assert.equal(j.cluster_name, name);
    assert.deepEqual((j.node_types as Json[]).map((t) => t.name).sort(), ['head', 'worker']);
  });
  step('validate', 'validate of an invalid config: the problems in the error shape', () => ['validate', invalidConfig, '--json'], 1, (j) => {
    const problems = (j.error as { problems: Json[] }).problems;
    assert.ok(problems.some((p) => p.path === 'max_worker'), JSON.stringify(problems));
  });
  step('up', 'up starts the cluster', () => ['up', cluster.configFile, '-y', '--json'], 0, (j) => {
    assert.equal((j.nodes as unknown[]).length, 2);
    assert.equal(typeof j.head_node_id, 'string');
  });
  step('up', 'up again finds it unchanged', () => ['up', cluster.configFile, '-y', '--json'], 0, (j) => assert.equal(j.unchanged, true));
  step('status', 'status', () => ['status', '-c', name, '--json'], 0, (j) => {
    assert.equal(j.cluster_name, name);
    const nodes = j.nodes as Json[];
    assert.deepEqual(nodes.map((n) => n.kind).sort(), ['head', 'worker']);
    assert.ok(nodes.every((n) => typeof n.node_id === 'string' && typeof n.last_heartbeat === 'number'));
    // Resource names are data, not vocabulary: they keep Ray's spelling.
    assert.deepEqual(nodes.map((n) => (n.total as Json).CPU).sort(), [1, 2]);
    assert.equal(typeof j.relayed_bytes, 'number');
  });
  step('get-head-ip', 'get-head-ip', () => ['get-head-ip', '-c', name, '--json'], 0, (j) => assert.equal(j.head_ip, '127.0.0.1'));
  step('get-worker-ips', 'get-worker-ips', () => ['get-worker-ips', '-c', name, '--json'], 0, (j) => assert.deepEqual(j.worker_ips, ['127.0.0.1']));
  step('submit', 'submit of a job that succeeds', () => ['submit', '-c', name, jobFile, '--json'], 0, (j) => {
    assert.deepEqual([j.status, j.exit_code], ['SUCCEEDED', 0]);
    jobId = j.job_id as string;
  });
  step('submit', 'submit of a job that exits 3 exits 3', () => ['submit', '-c', name, jobFile, '--json', '--', 'fail'], 3, (j) => assert.deepEqual([j.status, j.exit_code], ['FAILED', 3]));
  step('submit', 'submit --no-wait', () => ['submit', '-c', name, jobFile, '--json', '--no-wait'], 0, (j) => assert.equal(j.status, 'SUBMITTED'));
  step('job-list', 'job list', () => ['job', 'list', '-c', name, '--json'], 0, (j) => {
    const job = jobs(j).find((x) => x.job_id === jobId);
    assert.ok(job, JSON.stringify(j));
    assert.deepEqual([job.status, job.exit_code, typeof job.start_time, typeof job.end_time], ['SUCCEEDED', 0, 'number', 'number']);
  });
  step('job-status', 'job status', () => ['job', 'status', '-c', name, jobId, '--json'], 0, (j) => assert.deepEqual([j.job_id, j.status, j.exit_code], [jobId, 'SUCCEEDED', 0]));
  step('job-logs', 'job logs', () => ['job', 'logs', '-c', name, jobId, '--json'], 0, (j) => {
    assert.deepEqual([j.job_id, j.status, j.exit_code], [jobId, 'SUCCEEDED', 0]);
    assert.ok((j.output as { text: string }[]).some((o) => o.text.includes('job says hello')), JSON.stringify(j.output));
  });
  step('job-stop', 'job stop of a job that ended', () => ['job', 'stop', '-c', name, jobId, '--json'], 0, (j) => assert.deepEqual([j.job_id, j.status], [jobId, 'SUCCEEDED']));
  step('job-status', 'job status of an unknown job: the error shape', () => ['job', 'status', '-c', name, 'job-00000000', '--json'], 1, (j) => assert.equal((j.error as Json).code, 'job_not_found'));

  it('submit --json streams the job\'s output to stderr while it runs, and prints only the result on stdout', async () => {
    const release = join(cluster.dir, 'release-streaming-job');
    let printed = { stdout: '', stderr: '' };
    const run = cluster.cli(['submit', '-c', name, streamingJob, '--json', '--', release], 60_000, { onOutput: (p) => { printed = p; } });
    const streamed = await until('the job\'s output on stderr while it runs', 20_000, () => (/out-before/.test(printed.stderr) && /err-before/.test(printed.stderr) ? { ...printed } : undefined))
      .catch((e: Error) => e);
    writeFileSync(release, ''); // released either way, so a failure leaves no job behind
    const r = await run;
    assert.ok(!(streamed instanceof Error), String(streamed));
    assert.equal(streamed.stdout, '', 'nothing on stdout while the job runs');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /out-before[\s\S]*out-after/);
    const json = JSON.parse(r.stdout) as Json; // stdout is the JSON document and nothing else
    assertOutput('submit', json);
    assert.deepEqual([json.status, json.exit_code], ['SUCCEEDED', 0]);
  });

  step('down', 'down', () => ['down', '-c', name, '--json'], 0, (j) => assert.equal(j.existed, true));
  step('down', 'down of a cluster that is not running', () => ['down', '-c', name, '--json'], 0, (j) => assert.equal(j.existed, false));
  step('status', 'status of a cluster that is not running: the error shape', () => ['status', '-c', name, '--json'], 1, (j) => assert.equal((j.error as { code: string }).code, 'cluster_not_found'));
});
