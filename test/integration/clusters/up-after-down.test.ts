// `down`, then `up` of the same name on the process provider: a new cluster, not a restart of the last one.
// The GCS store (gcs.sqlite in the cluster's folder) outlives the head on purpose; the new head must not load
// the last cluster's nodes and wait for them to come back before launching min_workers, nor list its jobs.
import assert from 'node:assert/strict';
import { after, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';

const JOB = `import { main } from 'raylaunch';\nmain(async () => { console.log('done'); });\n`;

describe('up after down of the same cluster name', function () {
  this.timeout(180_000);
  const name = `again${process.pid}`;
  // A reconnect timeout far past every wait below: a head that waited for the last cluster's worker would
  // hold the new one's launch that long.
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1, extra: 'raylaunch: {head_reconnect_timeout_s: 900}' }));
  after(() => cluster.stop());

  const aliveWorkers = async () => (await cluster.status()).nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE');

  it('starts from an empty store: only its own nodes, no earlier job, and its min_workers launched without waiting', async () => {
    assert.equal((await cluster.start()).code, 0);
    await until('the first cluster\'s worker', 60_000, async () => ((await aliveWorkers()).length === 1 ? true : undefined));
    const r = await cluster.submit(cluster.writeJob({ 'job.ts': JOB }) + '/job.ts');
    assert.equal(r.code, 0, r.stderr);
    const before = (await cluster.status()).nodes.map((n) => n.node_id);

    assert.equal((await cluster.cli(['down', cluster.configFile, '-y'])).code, 0);
    assert.equal((await cluster.start()).code, 0);
    await until('the new cluster\'s worker', 60_000, async () => ((await aliveWorkers()).length === 1 ? true : undefined));
    const status = await cluster.status();
    assert.deepEqual(status.nodes.filter((n) => before.includes(n.node_id)), [], 'no node of the last cluster is listed');
    assert.deepEqual(status.jobs, [], 'no job of the last cluster is listed');
  });
});
