// The process provider's launch cut in two by a kill -9 of the head service: the head's worker launch is held (a
// test hook, RAYLAUNCH_TEST_LAUNCH_HOLD) right after its node's record is written and before the node starts, or
// right after the node starts and before its pid is recorded; the test kills the head there. The restarted head
// reaps the record of the node that never started (and launches the request anew), or adopts the node that did
// (never launching it again); either way no process is left that no record lists, and `down` leaves none.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';
import { alive, killHead } from '../../helpers/head-restart.js';
import { until } from '../../helpers/until.js';

interface Rec { id: string; requestId: string; pid?: number; state?: string }

for (const point of ['recorded', 'started'] as const) {
  describe(`a head killed inside a process launch, ${point === 'recorded' ? 'between the node\'s record and its start' : 'between the node\'s start and its pid'}`, function () {
    this.timeout(240_000);
    const name = `launch-held-${point}`;
    const hold = mkdtempSync(join(tmpdir(), 'raylaunch-hold-'));
    // No worker at first: the job's requestResources makes the autoscaler launch one. A launch whose node never
    // started is given up on after node_start_timeout_s (then the request is launched anew): short here.
    const extra = point === 'recorded' ? 'raylaunch: {node_start_timeout_s: 5}' : '';
    const yaml = TestCluster.processConfig(name, { headCpus: 0, workers: 0, workerCpus: 2, extra });
    const c = new TestCluster(name, yaml, {}, { env: { RAYLAUNCH_TEST_LAUNCH_HOLD: hold } });
    const nodesDir = join(c.home, 'clusters', name, 'nodes');
    const records = (): Rec[] => readdirSync(nodesDir).filter((f) => /^worker-.*\.json$/.test(f)).map((f) => JSON.parse(readFileSync(join(nodesDir, f), 'utf8')) as Rec);
    before(() => c.start());
    after(async () => {
      rmSync(join(hold, `hold-${point}`), { force: true }); // a launch still held goes on, and down takes it
      try {
        await c.stop();
      } finally {
        rmSync(hold, { recursive: true, force: true });
      }
    });

    it(point === 'recorded' ? 'reaps the record of the node that never started; a node launched anew serves the request' : 'adopts the node that started: not launched again', async () => {
      writeFileSync(join(hold, `hold-${point}`), '');
      const r = await c.submitFixture('autoscaler/request-two-cpus.ts', ['--no-wait']);
      assert.equal(r.code, 0, r.stderr);
      const held = await until(`the head's launch to be held at ${point}`, 90_000, () => readdirSync(hold).find((f) => f.startsWith(`at-${point}-`))?.slice(`at-${point}-`.length));
      const [first, ...others] = records();
      assert.deepEqual([first?.id, first?.state, others], [held, 'starting', []], 'the record is written before the node has a pid');
      const killedAt = Date.now();
      await killHead(c);
      rmSync(join(hold, `hold-${point}`)); // the restarted head's own launches go through

      const s = await until('a worker to be alive and known to the restarted autoscaler', 90_000, async () => {
        const x = await c.status().catch(() => undefined);
        const worker = x?.nodes.find((n) => n.kind === 'worker' && n.state === 'ALIVE');
        return worker && x?.autoscaler?.nodes.some((n) => n.node_id === worker.node_id) && x.autoscaler.launching.length === 0 ? { x, worker } : undefined;
      });
      const now = records();
      assert.equal(now.length, 1, 'one worker');
      const [node] = now;
      assert.ok(node?.pid !== undefined && node.state === undefined, 'its record names its process');
      const launches = (s.x.autoscaler?.events ?? []).filter((e) => e.kind === 'launch' && e.at >= killedAt);
      if (point === 'started') {
        assert.equal(node.id, held, 'the node started before the kill, adopted');
        assert.equal(node.requestId, first?.requestId, 'for the request launched before the kill');
        assert.equal(s.worker.node_id, held);
        assert.deepEqual(launches, [], 'not launched again');
      } else {
        assert.notEqual(node.id, held, 'the held node never started: its record was reaped, and the request launched anew');
        assert.equal(existsSync(join(nodesDir, `${held}.json`)), false);
      }
      assert.deepEqual((s.x.autoscaler?.events ?? []).filter((e) => e.kind === 'terminate' && e.at >= killedAt), []);

      const down = await c.cli(['down', '-c', name]);
      assert.equal(down.code, 0, down.stderr);
      await until('the worker\'s process to end after down', 60_000, () => (alive(node.pid ?? 0) ? undefined : true));
      assert.deepEqual(c.processes(), [], 'down left no process of the cluster');
    });
  });
}
