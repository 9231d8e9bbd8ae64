import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';
import { parsePrometheusText, type PromFamily, sampleValue } from '../../helpers/prom-text.js';
import { until } from '../../helpers/until.js';
import type { HistoryJson } from '../../../src/head/history.js';

describe('the head\'s /metrics and history on a process cluster (end to end)', function () {
  this.timeout(120_000);
  const name = `metrics${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1 }));
  const url = (path: string) => `http://${cluster.headInfo().address}${path}`;
  const bearer = () => ({ authorization: `Bearer ${cluster.token()}` });
  const scrape = async (): Promise<Map<string, PromFamily>> => {
    const r = await fetch(url('/metrics'), { headers: bearer() });
    assert.equal(r.status, 200);
    return parsePrometheusText(await r.text());
  };

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  it('refuses a scrape without the operator\'s credential', async () => {
    const r = await fetch(url('/metrics'));
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    await r.text();
  });

  it('a job that runs tasks moves the task, job and control-plane counters', async () => {
    const before = await until('the worker registered', 60_000, async () => {
      const f = await scrape();
      return sampleValue(f, 'raylaunch_nodes', { node_type: 'worker', state: 'ALIVE' }) === 1 ? f : undefined;
    });
    assert.equal(sampleValue(before, 'raylaunch_cluster_resources', { resource: 'CPU' }), 3);
    const finished = sampleValue(before, 'raylaunch_tasks_ended_total', { state: 'finished' }) ?? -1;
    const succeeded = sampleValue(before, 'raylaunch_jobs', { state: 'SUCCEEDED' }) ?? -1;
    const submits = sampleValue(before, 'raylaunch_control_plane_messages_received_total', { type: 'submit' }) ?? 0;

    const r = await cluster.submitFixture('metrics/tasks.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^squares 1,4,9,16,25$/m);

    const after = await scrape();
    assert.equal(sampleValue(after, 'raylaunch_tasks_ended_total', { state: 'finished' }), finished + 5);
    assert.equal(sampleValue(after, 'raylaunch_jobs', { state: 'SUCCEEDED' }), succeeded + 1);
    assert.ok((sampleValue(after, 'raylaunch_control_plane_messages_received_total', { type: 'submit' }) ?? 0) > submits);
    assert.ok((sampleValue(after, 'raylaunch_control_plane_sent_bytes_total') ?? 0) > (sampleValue(before, 'raylaunch_control_plane_sent_bytes_total') ?? 0));
    assert.equal(after.get('raylaunch_autoscaler_loop_duration_seconds')?.type, 'histogram');
  });

  it('the history answers the last samples as columns: the worker\'s CPUs and the node count by type', async () => {
    const h = await until('a sample with the worker in it', 30_000, async () => {
      const r = await fetch(url('/api/cluster/history'), { headers: bearer() });
      const j = (await r.json()) as HistoryJson;
      return j.series['nodes:worker']?.at(-1) === 1 ? j : undefined;
    });
    assert.equal(h.interval_s, 5);
    assert.equal(h.series['total:CPU']?.at(-1), 3);
    assert.equal(h.units['total:CPU'], 'count');
    assert.equal(h.t.length, h.series['total:CPU']?.length);
  });
});
