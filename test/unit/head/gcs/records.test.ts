import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { toFixed } from '../../../../src/common/resources.js';
import { applyDefaults } from '../../../../src/config/defaults.js';
import { MemoryDatabase } from '../../../../src/head/gcs/memory.js';
import { openStore } from '../../../../src/head/gcs/open.js';
import type { GcsStore } from '../../../../src/head/gcs/store.js';
import { headHandlers } from '../../../../src/head/handlers.js';
import { Head } from '../../../../src/head/head.js';
import { JobManager } from '../../../../src/head/jobs/job-manager.js';
import { NodeTable } from '../../../../src/head/nodes.js';
import { ClusterReadModel } from '../../../../src/head/read-model.js';
import { Sessions } from '../../../../src/head/sessions.js';
import { FakeJobs, FakePeer } from '../../../helpers/head-harness.js';

const config = applyDefaults({ provider: { type: 'process' }, head_node_type: 'head', available_node_types: { head: { resources: { CPU: 1 } } } });

/** A memory database reopened is a head restarted on the same store. */
function place() {
  const memory = new MemoryDatabase();
  return () => openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
}

const head = (store: GcsStore, now = 0) => new Head({
  clusterName: 'c', headNodeId: 'head', config, clock: { now: () => now }, store, saveConfig: () => undefined,
});

describe('the node table in the GCS store: what is durable and what is not', () => {
  const worker = { nodeId: 'w1', nodeType: 'worker', kind: 'worker' as const, address: '10.0.0.2', objectAddress: '10.0.0.2:7000', pid: 42, resources: { CPU: 4 } };

  it('a restarted head finds each node with its durable fields; available, heartbeat and idle time start afresh', async () => {
    const open = place();
    const s = await open();
    const t = new NodeTable(s, 0);
    t.register(worker, 100);
    t.register({ ...worker, nodeId: 'w2' }, 100);
    t.acquire('w1', toFixed({ CPU: 3 }));
    t.heartbeat('w1', 150);
    t.markDraining('w1', 'spot interruption');
    t.markDead('w2', 160);
    await s.close();

    const again = new NodeTable(await open(), 5000);
    const w1 = again.get('w1');
    assert.deepEqual(
      { state: w1?.state, drainReason: w1?.drainReason, address: w1?.address, objectAddress: w1?.objectAddress, total: w1?.total, registeredAt: w1?.registeredAt },
      { state: 'DRAINING', drainReason: 'spot interruption', address: '10.0.0.2', objectAddress: '10.0.0.2:7000', total: toFixed({ CPU: 4 }), registeredAt: 100 },
    );
    assert.deepEqual([w1?.available, w1?.lastHeartbeat, w1?.lastUsedAt], [toFixed({ CPU: 4 }), 5000, 5000]);
    assert.deepEqual([again.get('w2')?.state, again.get('w2')?.diedAt, again.get('w2')?.available], ['DEAD', 160, {}]);
  });

  it('a loaded node has no connectedAt until its agent registers again, which sets it and keeps registeredAt; neither reaches the store', async () => {
    const open = place();
    const s = await open();
    assert.equal(new NodeTable(s, 0).register(worker, 100).connectedAt, 100);
    await s.close();
    const again = new NodeTable(await open(), 5000);
    assert.equal(again.get('w1')?.connectedAt, undefined);
    assert.equal(again.view(again.get('w1') ?? assert.fail('w1 not loaded')).connectedAt, undefined);
    const back = again.register(worker, 6000);
    assert.deepEqual([back.connectedAt, back.registeredAt, again.view(back).connectedAt], [6000, 100, 6000]);
  });

  it('heartbeats, idle time and resources taken change no stored record; registering and state changes do', async () => {
    const s = await place()();
    const t = new NodeTable(s, 0);
    t.register(worker, 100);
    await s.flush();
    const commits = s.commits;
    t.heartbeat('w1', 200);
    t.acquire('w1', toFixed({ CPU: 1 }));
    t.release('w1', toFixed({ CPU: 1 }));
    t.touch(300, () => true);
    await s.flush();
    assert.equal(s.commits, commits);
    assert.equal(s.table('nodes').version('w1'), 1);
    t.markDraining('w1');
    await s.flush();
    assert.equal(s.table('nodes').version('w1'), 2);
  });

  it('a node record cannot be changed in place', async () => {
    const t = new NodeTable(await place()(), 0);
    const r = t.register(worker, 100);
    assert.throws(() => {
      r.lastHeartbeat = 5;
    }, TypeError);
    assert.throws(() => {
      (t.get('w1')?.available as Record<string, number>).CPU = 0;
    }, TypeError);
  });
});

describe('request_resources in the GCS store', () => {
  it('a restarted head keeps the capacity request_resources asked for', async () => {
    const open = place();
    const s = await open();
    head(s).requestResources([{ CPU: 2 }, { GPU: 1 }]);
    await s.close();
    assert.deepEqual(head(await open()).requested, [{ CPU: 2 }, { GPU: 1 }]);
  });
});

describe('job records in the GCS store', () => {
  let jobsDir = '';
  beforeEach(() => { jobsDir = mkdtempSync(join(tmpdir(), 'rl-gcs-jobs-')); });
  afterEach(() => rmSync(jobsDir, { recursive: true, force: true }));
  const manager = (store: GcsStore) => new JobManager({
    jobsDir, runtimeRoot: '/nonexistent', headAddress: '', credentials: { mint: () => ({ secret: 'rlj_test', saved: Promise.resolve() }), revoke: () => undefined }, clock: { now: () => 5000 }, store, onEnded: () => undefined,
  });

  it('a job is a record with its namespace and folder, and a restarted head lists it from the store', async () => {
    const open = place();
    const s = await open();
    const m = manager(s);
    const attached = m.attachDriver({ clientId: 'd1', name: 'by hand', namespace: 'ns' });
    assert.ok(attached);
    await m.saved(attached.jobId);
    assert.deepEqual(
      s.table('jobs').get(attached.jobId),
      { jobId: attached.jobId, name: 'by hand', state: 'RUNNING', exitCode: null, startedAt: 5000, endedAt: null, namespace: 'ns', dir: join(jobsDir, attached.jobId), env: {}, hasWorkingDir: false, interactive: true, clients: ['d1'] },
    );
    m.driverExited('d1', 0);
    await s.close();
    rmSync(join(jobsDir, attached.jobId, 'job.json'), { force: true }); // the store alone has it now

    const again = manager(await open());
    assert.deepEqual(again.list(), [{ jobId: attached.jobId, name: 'by hand', state: 'SUCCEEDED', exitCode: 0, startedAt: 5000, endedAt: 5000 }]);
    assert.equal(again.namespaceOf(attached.jobId), 'ns');
  });

  it('the submitter hears of its job only once the job\'s record is durable', async () => {
    const h = head(await place()());
    const jobs = new FakeJobs();
    jobs.holdSaves = true;
    const handlers = headHandlers({ head: h, jobs, sessions: new Sessions({ head: h, jobs }), readModel: new ClusterReadModel({ clusterName: 'c', address: 'a:1', cluster: h, jobs }) });
    const cli = new FakePeer();
    handlers['job.submit'](cli, { type: 'job.submit', reqId: 3, name: 'job.mjs', bundle: new Uint8Array(), args: [], env: {} });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(cli.of('job.accepted'), []);
    jobs.releaseSaves();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(cli.of('job.accepted').map((m) => m.reqId), [3]);
  });
});
