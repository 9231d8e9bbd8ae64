import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { type DriverEnd, driverAlive, driverEnd, driverEndNow, DRIVER_FILES, type DriverRecord, DriverWatch, readDriverRecord, startDriver, type Stream } from '../../../src/head/jobs/driver.js';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { JobManager, type JobRecord } from '../../../src/head/jobs/job-manager.js';
import type { JobState, JobView } from '../../../src/protocol/messages.js';
import { until } from '../../helpers/until.js';

describe('how a detached driver ended, from its exit status file and /proc (driverEnd)', () => {
  const CASES: [string, string | undefined, boolean, DriverEnd | undefined][] = [
    ['no status file and the wrapper runs: it runs on', undefined, true, undefined],
    ['status 0: it succeeded', '0\n', false, { exitCode: 0 }],
    ['status 3: its exit code', '3\n', true, { exitCode: 3 }],
    ['status 143 (128 + 15): killed by SIGTERM', '143\n', false, { exitCode: null, signal: 'SIGTERM' }],
    ['status 137 (128 + 9): killed by SIGKILL', '137\n', false, { exitCode: null, signal: 'SIGKILL' }],
    ['no status file and the wrapper gone: it vanished', undefined, false, { exitCode: null, vanished: true }],
    ['a status file that holds no number: it vanished', 'x', false, { exitCode: null, vanished: true }],
  ];
  for (const [name, text, alive, want] of CASES) it(name, () => assert.deepEqual(driverEnd(text, alive), want));

  it('a wrapper that writes its status and exits between the two looks is seen to succeed, not to vanish (driverEndNow)', () => {
    let written: string | undefined;
    // The wrapper finishes while it is being looked at: by the time its liveness is read, it has written and gone.
    const alive = () => { written = '0\n'; return false; };
    assert.deepEqual(driverEndNow(alive, () => written), { exitCode: 0 });
  });
});

/** A node script as a driver's argv. */
const node = (script: string, ...args: string[]) => [process.execPath, '-e', script, ...args];
/** Prints `tick N` every 20 ms until the file named by its first argument exists, then exits 0. */
const TICKS = `const fs=require('node:fs');let n=0;const t=setInterval(()=>{console.log('tick '+(n++));if(fs.existsSync(process.argv[1])){clearInterval(t);process.exit(0);}},20);`;

describe('a detached driver followed through its files (startDriver, DriverWatch)', () => {
  let dir = '';
  const started: DriverRecord[] = [];
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rl-driver-')); });
  afterEach(() => {
    for (const r of started.splice(0)) try { process.kill(-r.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (argv: string[]) => {
    const r = startDriver({ dir, cwd: dir, env: { PATH: process.env.PATH ?? '' }, argv });
    started.push(r);
    return r;
  };
  const watch = (record: DriverRecord) => {
    const out: Record<Stream, string> = { stdout: '', stderr: '' };
    let resolve: (e: DriverEnd) => void = () => undefined;
    const ended = new Promise<DriverEnd>((r) => { resolve = r; });
    const w = new DriverWatch(dir, record, { output: (s, t) => { out[s] += t; }, ended: (e) => resolve(e) });
    w.start();
    return { out, ended, w };
  };

  it('its output, stdout and stderr apart, and its exit code, with the head not its parent', async () => {
    const r = start(node('console.log("out"); console.error("err"); process.exitCode = 3;'));
    assert.deepEqual(readDriverRecord(dir), r, 'the record is in the job\'s folder');
    const { out, ended } = watch(r);
    assert.deepEqual(await ended, { exitCode: 3 });
    assert.deepEqual(out, { stdout: 'out\n', stderr: 'err\n' });
    assert.equal(readFileSync(join(dir, DRIVER_FILES.exit), 'utf8'), '3\n');
  });

  it('a SIGTERM to its group ends it by that signal, and the wrapper still writes the status', async () => {
    const r = start(node('setInterval(() => {}, 1000); console.log("up");'));
    const { out, ended } = watch(r);
    await until('the driver to run', 10_000, () => (out.stdout === 'up\n' ? true : undefined));
    process.kill(-r.pid, 'SIGTERM');
    assert.deepEqual(await ended, { exitCode: null, signal: 'SIGTERM' });
  });

  it('a group killed outright (no status written) is seen as vanished by its pid', async () => {
    const r = start(node('setInterval(() => {}, 1000); console.log("up");'));
    const { out, ended } = watch(r);
    await until('the driver to run', 10_000, () => (out.stdout === 'up\n' ? true : undefined));
    process.kill(-r.pid, 'SIGKILL');
    assert.deepEqual(await ended, { exitCode: null, vanished: true });
    assert.equal(existsSync(join(dir, DRIVER_FILES.exit)), false);
  });

  it('a pid whose start time differs names another process: not the driver', () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    assert.equal(driverAlive({ pid: process.pid, startTime }), true);
    assert.equal(driverAlive({ pid: process.pid, startTime: startTime + 1 }), false);
  });
});

describe('a restarted head re-attaches to the drivers of running jobs (JobManager over the same jobs folder)', () => {
  let jobsDir = '';
  const started: DriverRecord[] = [];
  beforeEach(() => { jobsDir = mkdtempSync(join(tmpdir(), 'rl-jobs-')); });
  afterEach(() => {
    for (const r of started.splice(0)) try { process.kill(-r.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(jobsDir, { recursive: true, force: true });
  });
  const view = (jobId: string): JobView => ({ jobId, name: 'job.ts', state: 'RUNNING', exitCode: null, startedAt: 1000, endedAt: null });
  /** A job as an earlier head left it: its record, what that head logged, and its driver running detached. */
  const earlier = (jobId: string, argv: string[]) => {
    const dir = join(jobsDir, jobId);
    mkdirSync(dir);
    writeFileSync(join(dir, 'job.json'), JSON.stringify(view(jobId)));
    writeFileSync(join(dir, 'driver.log'), 'logged by the earlier head\n');
    const r = startDriver({ dir, cwd: dir, env: { PATH: process.env.PATH ?? '' }, argv });
    started.push(r);
    return { dir, r };
  };
  const manager = () => {
    const store = memoryStore();
    void store.table<JobRecord>('jobs').update('job-a', () => ({ ...view('job-a'), namespace: 'job-a', dir: join(jobsDir, 'job-a'), env: {}, hasWorkingDir: false, interactive: false }));
    return new JobManager({ jobsDir, runtimeRoot: '/nonexistent', headAddress: '', credentials: { mint: () => ({ secret: 'rlj_test', saved: Promise.resolve() }), revoke: () => undefined }, clock: { now: () => 5000 }, store, onEnded: () => undefined });
  };

  it('follows a running driver\'s output from the files and learns of its exit: the job ends SUCCEEDED', async () => {
    const { dir } = earlier('job-a', node(TICKS, join(jobsDir, 'release')));
    const m = manager();
    assert.equal(m.isRunning('job-a'), true);
    let text = '';
    let exit: [JobState, number | null] | undefined;
    assert.ok(m.follow('job-a', { output: (_s, t) => (text += t), exit: (s, c) => (exit = [s, c]) }));
    assert.match(text, /^logged by the earlier head\n/, 'a follower gets what the earlier head logged first');
    await until('ticks read from the driver\'s file', 10_000, () => (/tick 2\n/.test(text) ? true : undefined));
    writeFileSync(join(jobsDir, 'release'), '');
    await until('the job to end', 10_000, () => exit);
    assert.deepEqual(exit, ['SUCCEEDED', 0]);
    assert.deepEqual(m.list().map((j) => [j.jobId, j.state, j.exitCode]), [['job-a', 'SUCCEEDED', 0]]);
    assert.match(readFileSync(join(dir, 'driver.log'), 'utf8'), /^logged by the earlier head\ntick 0\ntick 1\n/, 'driver.log goes on where it was');
  });

  it('a job whose driver ended while no head watched takes its exit status', () => {
    const { dir } = earlier('job-a', node('process.exit(4)'));
    const status = join(dir, DRIVER_FILES.exit);
    return until('the driver to end', 10_000, () => (existsSync(status) ? true : undefined)).then(() => {
      const m = manager();
      assert.deepEqual(m.list().map((j) => [j.state, j.exitCode]), [['FAILED', 4]]);
    });
  });

  it('job stop ends the re-attached driver\'s whole process group (a child it started included)', async () => {
    const { dir } = earlier('job-a', node(`const c=require('node:child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});console.log('child '+c.pid);setInterval(()=>{},1000);`));
    const m = manager();
    let text = '';
    let exit: [JobState, number | null] | undefined;
    m.follow('job-a', { output: (_s, t) => (text += t), exit: (s, c) => (exit = [s, c]) });
    const child = Number(await until('the driver\'s child', 10_000, () => /child (\d+)/.exec(text)?.[1]));
    m.stop('job-a');
    await until('the job to end', 10_000, () => exit);
    assert.deepEqual(exit, ['STOPPED', null]);
    await until('the driver\'s child to be gone', 10_000, () => (existsSync(`/proc/${child}`) && !/\) Z /.test(readFileSync(`/proc/${child}/stat`, 'utf8')) ? undefined : true));
    assert.ok(readDriverRecord(dir));
  });
});
