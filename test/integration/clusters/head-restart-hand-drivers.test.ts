// Drivers started by hand (`raylaunch run`, with the operator's credential) on the process provider: the head makes
// their job, durable before the driver hears its id. A kill -9 of the head service mid-job leaves it running: the
// driver reconnects under the same client id and job, finishes with the right answer, and `job list` shows the job
// SUCCEEDED. A driver killed that never comes back leaves its job RUNNING for raylaunch.head_reconnect_timeout_s
// (3 s here), then FAILED with the reason in `job status`, its task and actor ended.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';
import { alive, assertNoGapNoRepeat, killHead, ticks } from '../../helpers/head-restart.js';
import { read } from '../../helpers/head-restart-job.js';
import { type CliResult, runCli } from '../../helpers/run-cli.js';
import { until } from '../../helpers/until.js';

interface JobJson { job_id: string; status: string; exit_code: number | null; message?: string }

/** A process cluster for one describe, and what its tests ask of it. */
function handCluster(name: string, extra = '') {
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 8, workers: 0, extra }));
  before(() => cluster.start());
  after(() => cluster.stop());
  const cli = (args: string[], o: Parameters<typeof runCli>[1] = {}) => runCli(args, { ...o, env: { RAYLAUNCH_HOME: cluster.home, ...o.env } });
  const jobs = async (): Promise<JobJson[]> => {
    const r = await cli(['job', 'list', '-c', name, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { jobs: JobJson[] }).jobs;
  };
  return { cluster, cli, jobs };
}

describe('a driver started by hand across a kill -9 of the head service (process provider)', function () {
  this.timeout(240_000);
  const name = 'restart-hand';
  const { cluster, cli, jobs } = handCluster(name);

  it('a `raylaunch run` driver mid-job reconnects to the restarted head, finishes with the right answer, and job list shows its job SUCCEEDED', async () => {
    const signals = mkdtempSync(join(cluster.dir, 'signals-'));
    let printed = { stdout: '', stderr: '' };
    const run: Promise<CliResult> = cli(['run', '-c', name, cluster.writeFixture('head-restart-drivers/resume.ts'), '--', signals], {
      timeoutMs: 180_000, onOutput: (p) => { printed = p; },
    });
    await until('the driver to have tasks in flight and to be submitting', 60_000, () => (/submitted/.test(printed.stdout) && ticks(printed.stdout).length > 10 ? true : undefined));
    const [job] = await jobs();
    assert.ok(job);
    assert.equal(job.status, 'RUNNING');

    await killHead(cluster);
    await until('the driver to reconnect', 90_000, () => {
      if (/raylaunch: reconnected to the head/.test(printed.stderr)) return true;
      throw new Error(`the driver printed ${JSON.stringify(printed.stderr.slice(-800))}`);
    });
    const atReconnect = ticks(printed.stdout).length;
    await until('the driver to go on after the reconnect', 30_000, () => (ticks(printed.stdout).length > atReconnect + 10 ? true : undefined));
    writeFileSync(join(signals, 'release'), '');
    writeFileSync(join(signals, 'stop'), '');

    const r = await run;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /raylaunch: lost the connection to the head/);
    assert.match(r.stdout, /^squares 1,4,9 incs \d+ all right$/m);
    assertNoGapNoRepeat(r.stdout, Number(/^last tick (\d+)$/m.exec(r.stdout)?.[1]), 'the driver\'s output across the restart');
    // The driver said it ended: its job ends at once, not after the reconnect timeout.
    const ended = await until('the job to end', 30_000, async () => (await jobs()).find((j) => j.job_id === job.job_id && j.status !== 'RUNNING'));
    assert.deepEqual([ended.status, ended.exit_code, ended.message], ['SUCCEEDED', 0, undefined]);
  });


  it('a driver that fails ends its job at once, FAILED with its exit code', async () => {
    const before = new Set((await jobs()).map((j) => j.job_id));
    const r = await cli(['run', '-c', name, cluster.writeFixture('head-restart-drivers/fails-at-top.ts')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the driver fails at its top level/);
    const job = await until('the job to end', 30_000, async () => (await jobs()).find((j) => !before.has(j.job_id) && j.status !== 'RUNNING'));
    assert.deepEqual([job.status, job.exit_code], ['FAILED', 1]);
  });
});

describe('a driver started by hand ended by a signal (process provider)', function () {
  this.timeout(120_000);
  const name = 'hand-signal';
  const { cluster, cli, jobs } = handCluster(name);

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`a driver ended by ${signal} says so: its job ends at once, FAILED with exit ${code}, not after head_reconnect_timeout_s`, async () => {
      const signals = mkdtempSync(join(cluster.dir, 'signals-'));
      const before = new Set((await jobs()).map((j) => j.job_id));
      let printed = { stdout: '', stderr: '' };
      const run = cli(['run', '-c', name, cluster.writeFixture('head-restart-drivers/abandoned.ts'), '--', signals], { timeoutMs: 90_000, onOutput: (p) => { printed = p; } });
      await until('the driver\'s task to run', 60_000, () => (/^ready$/m.test(printed.stdout) && existsSync(join(signals, 'task.pid')) ? true : undefined));
      const job = (await jobs()).find((j) => !before.has(j.job_id));
      assert.ok(job);
      process.kill(Number(read(join(signals, 'driver.pid'))), signal);
      await run;
      // Within the default 60 s grace: a driver that said nothing would still be waited for.
      const ended = await until('the job to end', 30_000, async () => (await jobs()).find((j) => j.job_id === job.job_id && j.status !== 'RUNNING'));
      assert.deepEqual([ended.status, ended.exit_code], ['FAILED', code]);
    });
  }
});

describe('a driver started by hand that does not come back (process provider)', function () {
  this.timeout(240_000);
  const name = 'hand-gone';
  const { cluster, cli, jobs } = handCluster(name, 'raylaunch: {head_reconnect_timeout_s: 3}');

  it('a driver killed that does not come back: its job is FAILED after head_reconnect_timeout_s, saying why, its task and actor ended', async () => {
    const signals = mkdtempSync(join(cluster.dir, 'signals-'));
    const before = new Set((await jobs()).map((j) => j.job_id));
    let printed = { stdout: '', stderr: '' };
    const run = cli(['run', '-c', name, cluster.writeFixture('head-restart-drivers/abandoned.ts'), '--', signals], { timeoutMs: 120_000, onOutput: (p) => { printed = p; } });
    await until('the driver\'s task to run and its actor to hold its state', 60_000, () => (/^ready$/m.test(printed.stdout) && existsSync(join(signals, 'task.pid')) ? true : undefined));
    assert.match(printed.stdout, /^keeper 5$/m);
    const job = (await jobs()).find((j) => !before.has(j.job_id));
    assert.ok(job);
    const taskPid = Number(read(join(signals, 'task.pid')));
    const driverPid = Number(read(join(signals, 'driver.pid')));
    const st = await cluster.status();
    assert.equal(st.tasks.running, 1);
    assert.deepEqual(st.actors.filter((a) => a.job_id === job.job_id).map((a) => a.state), ['ALIVE']);

    process.kill(driverPid, 'SIGKILL');
    const r = await run;
    assert.notEqual(r.code, 0, 'the driver was killed');
    assert.equal((await jobs()).find((j) => j.job_id === job.job_id)?.status, 'RUNNING', 'the job waits for its driver to come back');

    const failed = await until('the job to fail once its driver\'s grace is over', 60_000, async () => (await jobs()).find((j) => j.job_id === job.job_id && j.status !== 'RUNNING'));
    assert.deepEqual([failed.status, failed.exit_code], ['FAILED', null]);
    assert.match(failed.message ?? '', /^the driver \(client driver-[0-9a-f]+\) lost its connection to the head and did not come back within 3 s \(raylaunch\.head_reconnect_timeout_s\)$/);
    const status = await cli(['job', 'status', '-c', name, job.job_id]);
    assert.match(status.stdout, /did not come back within 3 s/, 'job status shows why');

    await until('the job\'s task and actor to be ended', 30_000, async () => {
      const s = await cluster.status();
      return s.tasks.running === 0 && s.actors.filter((a) => a.job_id === job.job_id).every((a) => a.state === 'DEAD') && !alive(taskPid) ? true : undefined;
    });
  });
});
