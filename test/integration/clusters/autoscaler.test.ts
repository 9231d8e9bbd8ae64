import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import type { StatusJson as Status } from '../../../src/cli/status-json.js';
import { TestCluster } from '../../helpers/cluster.js';
import { until as waitFor } from '../../helpers/until.js';

const CONFIG = (name: string) => [
  `cluster_name: ${name}`, 'provider: {type: process}', 'max_workers: 4', 'available_node_types:',
  '  head: {resources: {CPU: 0}}', '  worker: {resources: {CPU: 1}, min_workers: 0, max_workers: 4, idle_timeout_s: 2}',
  'head_node_type: head', '',
].join('\n');

describe('the autoscaler on the process provider (end to end)', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let n = 0;

  beforeEach(async () => {
    const name = `auto${process.pid}x${n++}`;
    cluster = new TestCluster(name, CONFIG(name));
    await cluster.start();
  });
  afterEach(async () => { await cluster.stop(); });

  const status = async (): Promise<Status> => JSON.parse((await cluster.cli(['status', '-c', cluster.name, '--json'])).stdout) as Status;
  const liveWorkers = (s: Status) => s.nodes.filter((x) => x.kind === 'worker' && x.state === 'ALIVE');
  async function until(what: string, ms: number, probe: (s: Status) => boolean): Promise<Status> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await status();
      if (probe(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s.autoscaler)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('from zero workers, three one-CPU tasks get three new nodes; the workers go after the idle timeout, with the reason', async () => {
    assert.equal(liveWorkers(await status()).length, 0);
    const r = await cluster.submitFixture('autoscaler/three-tasks.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ran on 3 nodes$/m); // how fast: bench/scale-latency.ts (timings are not asserted in tests)
    const s = await until('the idle workers to be terminated', 60_000, (x) => liveWorkers(x).length === 0);
    const events = s.autoscaler?.events.map((e) => e.message) ?? [];
    assert.ok(events.some((e) => /^launch \d × worker for \d pending \{CPU: 1\}$/.test(e)), events.join('\n'));
    assert.ok(events.filter((e) => /^terminate worker-\w+: idle \d+ s$/.test(e)).length >= 1, events.join('\n'));
    const monitor = await cluster.cli(['monitor', '-c', cluster.name, '--exit-after', '1']);
    assert.match(monitor.stdout, /terminate worker-\w+: idle \d+ s/);
  });

  it('an actor pins its node: it is kept past the idle timeout, while an idle node launched after it goes, and status says it is busy', async () => {
    const r = await cluster.cli(['submit', '-c', cluster.name, '--no-wait', cluster.writeFixture('autoscaler/actor-pins-node.ts')]);
    assert.equal(r.code, 0, r.stderr);
    const actorNode = (x: Status) => x.actors.find((a) => a.state === 'ALIVE')?.node_id ?? undefined;
    const s = await until('the worker launched after the actor\'s to be terminated as idle', 60_000, (x) => {
      const node = actorNode(x);
      return node !== undefined && (x.autoscaler?.events ?? []).some((e) => e.kind === 'terminate' && !e.message.startsWith(`terminate ${node}:`));
    });
    const node = actorNode(s);
    const terminated = (s.autoscaler?.events ?? []).filter((e) => e.kind === 'terminate').map((e) => e.message);
    assert.ok(terminated.every((m) => /^terminate worker-\w+: idle \d+ s$/.test(m) && !m.startsWith(`terminate ${node}:`)), terminated.join('\n'));
    assert.ok(liveWorkers(s).some((x) => x.node_id === node), 'the actor\'s node is still there');
    assert.equal(s.autoscaler?.nodes.find((x) => x.node_id === node)?.why, 'busy: hosts an actor');
  });

  it('a STRICT_SPREAD group of 3 gets 3 nodes in one launch', async () => {
    const r = await cluster.submitFixture('autoscaler/strict-spread.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^bundles on 3 nodes$/m);
    const events = (await status()).autoscaler?.events.map((e) => e.message) ?? [];
    assert.ok(events.some((e) => /^launch 3 × worker for 1 placement group\(s\)$/.test(e)), events.join('\n'));
  });

  it('a STRICT_SPREAD group that loses a node gets one node back, not a new group', async () => {
    const r = await cluster.submitFixture('autoscaler/strict-spread-node-lost.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^after: 3 nodes, bundle 0 moved: true, others stayed: true$/m);
    const launches = ((await status()).autoscaler?.events ?? []).filter((e) => e.kind === 'launch').map((e) => e.message);
    assert.deepEqual(launches, ['launch 3 × worker for 1 placement group(s)', 'launch 1 × worker for 1 placement group(s)']);
  });

  it('requestResources scales the cluster up with no task, and back down when cleared', async () => {
    const r = await cluster.submitFixture('autoscaler/request-two-cpus.ts');
    assert.equal(r.code, 0, r.stderr);
    await until('two workers for the request', 60_000, (x) => liveWorkers(x).length === 2);
    // Requested capacity is kept: the autoscaler (ticking every second) reports both idle for well past their 2 s
    // idle timeout, by its own clock, and terminates neither.
    await until('both workers reported idle 5 s of 2 s', 60_000, (x) => {
      const terminated = (x.autoscaler?.events ?? []).filter((e) => e.kind === 'terminate');
      if (terminated.length > 0) throw new Error(`requested capacity was terminated: ${terminated.map((e) => e.message).join('; ')}`);
      const idle = (x.autoscaler?.nodes ?? []).map((n) => Number(/^idle (\d+) s of 2 s$/.exec(n.why)?.[1] ?? 0));
      return liveWorkers(x).length === 2 && idle.length === 2 && idle.every((sec) => sec >= 5);
    });
    await cluster.submitFixture('autoscaler/clear-request.ts');
    await until('the workers to go once the request is cleared', 60_000, (x) => liveWorkers(x).length === 0);
  });
});

describe('the autoscaler launches what queued work needs, no more (end to end)', function () {
  this.timeout(120_000);
  // Six one-CPU tasks that each hold their CPU until all six run: the cluster needs six CPUs at once.
  const CASES = [{ workerCpus: 1, want: 6 }, { workerCpus: 2, want: 3 }];
  for (const { workerCpus, want } of CASES) {
    it(`6 one-CPU tasks on ${workerCpus}-CPU workers launch ${want} worker(s) in all, none left idle`, async () => {
      const name = `need${process.pid}c${workerCpus}`;
      const cluster = new TestCluster(name, [
        `cluster_name: ${name}`, 'provider: {type: process}', 'max_workers: 8', 'available_node_types:',
        '  head: {resources: {CPU: 0}}', `  worker: {resources: {CPU: ${workerCpus}}, min_workers: 0, max_workers: 8}`, 'head_node_type: head', '',
      ].join('\n'));
      await cluster.start();
      try {
        const started = join(cluster.dir, 'started');
        const go = join(cluster.dir, 'go');
        const run = cluster.submitFixture('autoscaler/hold-until-go.ts', ['--', started, go]);
        const lines = () => (existsSync(started) ? readFileSync(started, 'utf8').trim().split('\n') : []);
        await waitFor('all six tasks to run', 90_000, () => (lines().length >= 6 ? true : undefined));
        const running = await cluster.status();
        writeFileSync(go, '');
        const r = await run;
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^done: 6$/m);
        // Every launch the job caused, read once it has ended (a late one would show here too).
        const events = (await cluster.status()).autoscaler?.events ?? [];
        const launched = events.filter((e) => e.kind === 'launch').reduce((n, e) => n + Number(/^launch (\d+) ×/.exec(e.message)?.[1] ?? NaN), 0);
        assert.equal(launched, want, events.map((e) => e.message).join('\n'));
        const workers = running.nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE').map((n) => n.node_id).sort();
        const used = [...new Set(lines().map((l) => l.split(' ')[1] ?? ''))].sort();
        assert.deepEqual(workers, used, 'every worker runs some of the six tasks');
      } finally {
        await cluster.stop();
      }
    });
  }
});

