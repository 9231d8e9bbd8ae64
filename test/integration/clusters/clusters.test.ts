// `raylaunch clusters` lists what this machine knows, like `sky status`; a command whose default cluster (the
// most recent up) was taken down says so and names the others.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { ClustersResult } from '../../../src/commands/clusters.js';
import { TestCluster } from '../../helpers/cluster.js';
import { assertOutput } from '../../helpers/output-schemas.js';

describe('raylaunch clusters (end to end)', function () {
  this.timeout(120_000);
  const kept = `kept${process.pid}`;
  const gone = `gone${process.pid}`;
  const cluster = new TestCluster(kept, TestCluster.processConfig(kept, { workers: 0 }));
  const goneConfig = join(cluster.dir, 'gone.yaml');

  before(async () => {
    await cluster.start();
    writeFileSync(goneConfig, TestCluster.processConfig(gone, { workers: 0 }));
    for (const args of [['up', goneConfig, '-y'], ['down', goneConfig]]) {
      const r = await cluster.cli(args);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => { await cluster.stop(); });

  it('lists every cluster with its provider, state, head, nodes and age; the default one is marked', async () => {
    const r = await cluster.cli(['clusters', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as ClustersResult;
    assertOutput('clusters', json);
    const brief = json.clusters.map((c) => [c.name, c.provider, c.state, c.nodes, c.last, c.head_address !== null, c.started_at !== null]);
    assert.deepEqual(brief, [[gone, null, 'DOWN', null, true, false, false], [kept, 'process', 'UP', 1, false, true, true]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    const text = await cluster.cli(['clusters']);
    assert.match(text.stdout, /^CLUSTER +PROVIDER +STATE +HEAD +NODES +AGE$/m);
    assert.match(text.stdout, new RegExp(`^${gone} \\* +- +DOWN +- +- +-$`, 'm'));
    assert.match(text.stdout, new RegExp(`^${kept} +process +UP +127\\.0\\.0\\.1:\\d+ +1 +\\d+ s$`, 'm'));
  });

  it('a command whose default cluster was taken down says so, and names the clusters there are', async () => {
    const r = await cluster.cli(['status']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cluster ${gone}, the one of the most recent up, was taken down\n`
      + `hint: clusters on this machine: ${[`${gone} (down)`, `${kept} (process, up)`].sort().join(', ')}; raylaunch clusters shows them; start one with raylaunch up <config.yaml>\n`);
  });
});
