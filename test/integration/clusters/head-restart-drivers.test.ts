// Running drivers survive a kill -9 of the head service on the process provider: the driver reconnects, its
// pending gets complete, what it submitted during the outage goes out after, and the job's output (followed by
// `submit` across the restart, and kept by `job logs`) has no gap and no repeat. And when no head comes back in
// time, the driver's calls end with the named errors and the job fails as with a lost driver.
//
// The tasks in flight at the kill run on the head node, whose agent re-reports them to the restarted head; one the
// head did not know would be submitted again by the driver under the same id (they have maxRetries 3, so API.md
// lets them run again), and the job's answer is the same either way.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';
import { alive, assertNoGapNoRepeat, killHead, ticks } from '../../helpers/head-restart.js';
import { read } from '../../helpers/head-restart-job.js';
import { runCli } from '../../helpers/run-cli.js';
import { until } from '../../helpers/until.js';

describe('running drivers across a kill -9 of the head service (process provider)', function () {
  this.timeout(240_000);

  describe('the head comes back within the reconnect timeout', () => {
    const cluster = new TestCluster('restart-drivers', TestCluster.processConfig('restart-drivers', { headCpus: 8, workers: 0 }));
    const state = join(cluster.home, 'clusters', 'restart-drivers');
    before(() => cluster.start());
    after(() => cluster.stop());

    it('the job finishes with the right answer and exit code 0; job list/status/logs show it as before; its followed output has no gap and no repeat', async () => {
      const signals = mkdtempSync(join(cluster.dir, 'signals-'));
      const cli = (args: string[], o: Parameters<typeof runCli>[1] = {}) => runCli(args, { ...o, env: { RAYLAUNCH_HOME: cluster.home } });
      // `submit` follows the job's output all along, across the restart (not cluster.cli: its settled check after
      // the job does not hold for tasks the restarted head ran again).
      const submit = cli(['submit', cluster.configFile, cluster.writeFixture('head-restart-drivers/resume.ts'), '--', signals], { timeoutMs: 180_000 });
      const jobId = await until('the job\'s folder', 30_000, () => (existsSync(join(state, 'jobs')) ? readdirSync(join(state, 'jobs')).find((d) => d.startsWith('job-')) : undefined));
      const jobDir = join(state, 'jobs', jobId);
      const stdout = () => read(join(jobDir, 'stdout.log'));
      const stderr = () => read(join(jobDir, 'stderr.log'));
      await until('the driver to have tasks in flight and to be submitting', 60_000, () => (/submitted/.test(stdout()) && ticks(stdout()).length > 10 ? true : undefined));
      const statusBefore = await cli(['job', 'status', '-c', 'restart-drivers', jobId, '--json']);
      assert.equal(statusBefore.code, 0, statusBefore.stderr);

      await killHead(cluster);
      await until('the driver to reconnect', 90_000, () => (/raylaunch: reconnected to the head/.test(stderr()) ? true : undefined));
      assert.match(stderr(), /raylaunch: lost the connection to the head/);
      const ticksAtReconnect = ticks(stdout()).length;
      await until('the driver to go on after the reconnect', 30_000, () => (ticks(stdout()).length > ticksAtReconnect + 10 ? true : undefined));
      writeFileSync(join(signals, 'release'), '');
      writeFileSync(join(signals, 'stop'), '');

      const r = await submit;
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^squares 1,4,9 incs \d+ all right$/m);
      const last = Number(/^last tick (\d+)$/m.exec(r.stdout)?.[1]);
      assertNoGapNoRepeat(r.stdout, last, 'the output submit followed across the restart');

      const logs = await cli(['job', 'logs', '-c', 'restart-drivers', jobId]);
      assert.equal(logs.code, 0, logs.stderr);
      assertNoGapNoRepeat(logs.stdout, last, 'job logs after the restart');
      const status = JSON.parse((await cli(['job', 'status', '-c', 'restart-drivers', jobId, '--json'])).stdout) as { status?: string; exit_code?: number | null };
      assert.deepEqual([status.status, status.exit_code], ['SUCCEEDED', 0]);
      const list = await cli(['job', 'list', '-c', 'restart-drivers', '--json']);
      assert.match(list.stdout, new RegExp(jobId));
    });
  });

  describe('no head within the reconnect timeout', () => {
    const cluster = new TestCluster('lost-head', TestCluster.processConfig('lost-head', { headCpus: 2, workers: 0, extra: 'raylaunch: {head_reconnect_timeout_s: 5}' }));
    const state = join(cluster.home, 'clusters', 'lost-head');
    before(() => cluster.start());
    after(() => cluster.stop());

    it('calls past the outage buffer throw OutageBufferFullError, pending gets end with HeadUnavailableError, and the job fails as with a lost driver', async () => {
      const signals = mkdtempSync(join(cluster.dir, 'signals-'));
      const submitted = await cluster.submit(cluster.writeFixture('head-restart-drivers/outage.ts'), ['--no-wait', '--', signals]);
      assert.equal(submitted.code, 0, submitted.stderr);
      const jobId = await until('the job\'s folder', 30_000, () => readdirSync(join(state, 'jobs')).find((d) => d.startsWith('job-')));
      const jobDir = join(state, 'jobs', jobId);
      const stdout = () => read(join(jobDir, 'stdout.log'));
      const stderr = () => read(join(jobDir, 'stderr.log'));
      await until('the driver to be connected', 60_000, () => (/ready 2/.test(stdout()) ? true : undefined));

      // The head's supervisor is stopped first, so the head stays away past the timeout; it goes on after.
      const [head] = cluster.nodeRecords().filter((n) => n.kind === 'head');
      assert.ok(head);
      const killed = cluster.headInfo();
      process.kill(head.pid, 'SIGSTOP');
      try {
        process.kill(killed.pid, 'SIGKILL');
        await until('the driver to see the head gone', 30_000, () => (/raylaunch: lost the connection to the head/.test(stderr()) ? true : undefined));
        writeFileSync(join(signals, 'fill'), '');
        await until('the outage buffer to fill', 30_000, () => /^OutageBufferFullError after (\d+) puts/m.exec(stdout())?.[1]).then((n) => assert.equal(Number(n), 10_000 - 1, 'the buffer holds 10,000 calls: the task submitted first, then the puts'));
        await until('the driver to give up', 60_000, () => (existsSync(join(jobDir, 'exit-status')) ? true : undefined));
        assert.match(stderr(), /HeadUnavailableError: lost the connection to the head and no head took the driver back within 5 s/);
        assert.equal(read(join(jobDir, 'exit-status')).trim(), '1');
        assert.doesNotMatch(stdout(), /never/);
      } finally {
        process.kill(head.pid, 'SIGCONT');
      }
      await until('the head to be restarted', 60_000, () => {
        const info = cluster.headInfo();
        return info.pid !== killed.pid && alive(info.pid) ? true : undefined;
      });
      const status = await runCli(['job', 'status', '-c', 'lost-head', jobId, '--json'], { env: { RAYLAUNCH_HOME: cluster.home } });
      assert.deepEqual((({ status: s, exit_code: c }) => [s, c])(JSON.parse(status.stdout) as { status?: string; exit_code?: number | null }), ['FAILED', 1]);
    });
  });
});
