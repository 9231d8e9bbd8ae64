// exec --start and exec --stop on the process provider: the cluster is brought up before the command and taken
// down after it, as `up` and `down` would.
import assert from 'node:assert/strict';
import { after, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';

describe('exec --start and --stop on the process provider (end to end)', function () {
  this.timeout(120_000);
  const name = `execss${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1 }));

  after(async () => { await cluster.stop(); });

  it('exec CONFIG --start on a cluster that is not up starts it, then runs the command', async () => {
    const before = await cluster.cli(['status', '-c', name]);
    assert.notEqual(before.code, 0, 'the cluster is not up yet');
    assert.deepEqual(cluster.processes(), []);

    const r = await cluster.cli(['exec', cluster.configFile, '--start', 'echo hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n', 'up\'s progress goes to stderr; stdout is the command\'s');

    const status = await cluster.cli(['status', '-c', name]);
    assert.equal(status.code, 0, status.stderr);
    assert.notDeepEqual(cluster.processes(), [], 'the cluster runs on after exec');
  });

  it('exec CONFIG --start on a cluster that is up with this config runs the command on it', async () => {
    const head = cluster.headInfo();
    const r = await cluster.cli(['exec', cluster.configFile, '--start', 'echo again']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'again\n');
    assert.deepEqual(cluster.headInfo(), head, 'the same head');
  });

  it('exec CONFIG --stop -- CMD runs down after the command, leaving no process of the cluster, and exits with its code', async () => {
    const r = await cluster.cli(['exec', cluster.configFile, '--stop', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^cluster ${name} is down \\(2 nodes stopped, no running jobs\\)`, 'm'), 'down\'s summary, on stderr');
    assert.deepEqual(cluster.processes(), [], 'down left no process of the cluster');
    const status = await cluster.cli(['status', '-c', name]);
    assert.notEqual(status.code, 0, 'the cluster is down');
  });
});
