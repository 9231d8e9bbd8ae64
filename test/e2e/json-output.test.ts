import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../helpers/cluster.js';
import { assertOutput } from '../helpers/output-schemas.js';

describe('--json output of the cluster commands matches its schema', function () {
  this.timeout(60_000);
  const name = `json${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1 }));
  let jobFile = '';

  before(() => {
    jobFile = join(cluster.writeJob({ 'job.ts': "import { get, main, remote } from 'raylaunch';\nexport const f = remote(function f() { return 1; });\nmain(async (args) => { await get(f.remote()); if (args[0] === 'fail') process.exit(3); });\n" }), 'job.ts');
  });
  after(async () => { await cluster.stop(); });

  const steps: [string, string, () => string[], number, (j: Record<string, unknown>) => void][] = [
    ['up', 'up starts the cluster', () => ['up', cluster.configFile, '-y', '--json'], 0, (j) => assert.equal((j.nodes as unknown[]).length, 2)],
    ['up', 'up again finds it unchanged', () => ['up', cluster.configFile, '-y', '--json'], 0, (j) => assert.equal(j.unchanged, true)],
    ['status', 'status', () => ['status', '-c', name, '--json'], 0, (j) => assert.equal(j.clusterName, name)],
    ['submit', 'submit of a job that succeeds', () => ['submit', '-c', name, jobFile, '--json'], 0, (j) => assert.equal(j.state, 'SUCCEEDED')],
    ['submit', 'submit of a job that exits 3 exits 3', () => ['submit', '-c', name, jobFile, '--json', '--', 'fail'], 3, (j) => assert.deepEqual([j.state, j.exit_code], ['FAILED', 3])],
    ['submit', 'submit --no-wait', () => ['submit', '-c', name, jobFile, '--json', '--no-wait'], 0, (j) => assert.equal(j.state, 'SUBMITTED')],
    ['down', 'down', () => ['down', '-c', name, '--json'], 0, (j) => assert.equal(j.existed, true)],
    ['down', 'down of a cluster that is not running', () => ['down', '-c', name, '--json'], 0, (j) => assert.equal(j.existed, false)],
    ['status', 'status of a cluster that is not running: the error shape', () => ['status', '-c', name, '--json'], 1, (j) => assert.equal((j.error as { code: string }).code, 'cluster_not_found')],
  ];
  for (const [command, label, args, code, check] of steps) {
    it(label, async () => {
      const r = await cluster.cli(args());
      assert.equal(r.code, code, r.stderr);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      assertOutput(command, json);
      check(json);
    });
  }
});
