import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { pack } from '../../../src/common/pack.js';
import { JobManager } from '../../../src/head/jobs/job-manager.js';
import { JobIdTaken, RefusedSubmission } from '../../../src/head/jobs/submission.js';
import type { JobState, JobView } from '../../../src/protocol/messages.js';

describe('the job manager across a restart of the head (JobManager)', () => {
  let jobsDir = '';
  beforeEach(() => { jobsDir = mkdtempSync(join(tmpdir(), 'rl-jobs-')); });
  afterEach(() => rmSync(jobsDir, { recursive: true, force: true }));

  const earlier = (view: JobView, log: string) => {
    mkdirSync(join(jobsDir, view.jobId));
    writeFileSync(join(jobsDir, view.jobId, 'job.json'), JSON.stringify(view));
    writeFileSync(join(jobsDir, view.jobId, 'driver.log'), log);
  };
  const manager = () => new JobManager({ jobsDir, runtimeRoot: '/nonexistent', headAddress: '', credentials: { mint: () => ({ secret: 'rlj_test', saved: Promise.resolve() }), revoke: () => undefined }, clock: { now: () => 5000 }, store: memoryStore(), onEnded: () => undefined });
  const logsOf = (m: JobManager, jobId: string) => {
    let text = '';
    let exit: [JobState, number | null] | undefined;
    assert.ok(m.follow(jobId, { output: (_s, t) => (text += t), exit: (s, c) => (exit = [s, c]) }));
    return { text, exit };
  };

  it('lists the jobs of earlier runs and serves their logs from disk', () => {
    earlier({ jobId: 'job-done', name: 'a.ts', state: 'SUCCEEDED', exitCode: 0, startedAt: 1000, endedAt: 2000 }, 'hello\n');
    const m = manager();
    assert.deepEqual(m.list(), [{ jobId: 'job-done', name: 'a.ts', state: 'SUCCEEDED', exitCode: 0, startedAt: 1000, endedAt: 2000 }]);
    assert.deepEqual(logsOf(m, 'job-done'), { text: 'hello\n', exit: ['SUCCEEDED', 0] });
  });

  it('a job still running when its head stopped is FAILED, and its log says why', () => {
    earlier({ jobId: 'job-cut', name: 'b.ts', state: 'RUNNING', exitCode: null, startedAt: 1000, endedAt: null }, 'working\n');
    const m = manager();
    assert.deepEqual(m.list().map((j) => [j.jobId, j.state, j.endedAt]), [['job-cut', 'FAILED', 5000]]);
    assert.equal(logsOf(m, 'job-cut').text, 'working\nraylaunch: the head stopped while this job ran; its driver ended with it\n');
    assert.equal((JSON.parse(readFileSync(join(jobsDir, 'job-cut', 'job.json'), 'utf8')) as JobView).state, 'FAILED', 'the record on disk says so too');
  });

  it('a folder without a job record is not a job', () => {
    mkdirSync(join(jobsDir, 'stray'));
    assert.deepEqual(manager().list(), []);
  });
});

describe('a job submission the head refuses (JobManager.submit)', () => {
  let jobsDir = '';
  beforeEach(() => { jobsDir = mkdtempSync(join(tmpdir(), 'rl-jobs-')); });
  afterEach(() => rmSync(jobsDir, { recursive: true, force: true }));

  const manager = () => new JobManager({ jobsDir, runtimeRoot: '/nonexistent', headAddress: '', credentials: { mint: () => ({ secret: 'rlj_test', saved: Promise.resolve() }), revoke: () => undefined }, clock: { now: () => 5000 }, store: memoryStore(), onEnded: () => undefined });
  const request = (over: Partial<Parameters<JobManager['submit']>[0]>) => ({ name: 'job.mjs', bundle: new TextEncoder().encode('export {};\n'), args: [], env: {}, ...over });

  const REFUSED: [string, Partial<Parameters<JobManager['submit']>[0]>, RegExp][] = [
    ['a variable whose value holds a NUL byte', { env: { MODE: 'a\0b' } }, /^--env MODE: its value holds a NUL byte$/],
    ['a variable name with =', { env: { 'A=B': 'x' } }, /^--env "A=B" is not a variable name/],
    ['an argument holding a NUL byte', { args: ['fine', 'a\0b'] }, /^argument 2 of the job holds a NUL byte$/],
    ['a working directory with a path out of it', { workingDir: pack([{ path: 'ok', mode: 0o600, data: new Uint8Array(1) }, { path: '../x', mode: 0o600, data: new Uint8Array(1) }]) },
      /^--working-dir: refusing to unpack "\.\.\/x": it climbs out of the folder/],
    ['a working directory that is no pack', { workingDir: new Uint8Array([1, 2, 3]) }, /^--working-dir: the working directory is not a packed folder/],
  ];
  for (const [title, over, why] of REFUSED) {
    it(`${title}: refused with the reason, before any job or file exists`, () => {
      const m = manager();
      assert.throws(() => m.submit(request(over)), (e: unknown) => e instanceof RefusedSubmission && why.test(e.message));
      assert.deepEqual(m.list(), []);
      assert.deepEqual(readdirSync(jobsDir), []);
    });
  }
});

describe('a job whose driver was started by hand (JobManager)', () => {
  let jobsDir = '';
  beforeEach(() => { jobsDir = mkdtempSync(join(tmpdir(), 'rl-jobs-')); });
  afterEach(() => rmSync(jobsDir, { recursive: true, force: true }));

  const NOT_BACK = 'the driver (client d1) lost its connection to the head and did not come back within 0 s (raylaunch.head_reconnect_timeout_s)';
  const setup = (o: { store?: ReturnType<typeof memoryStore>; graceMs?: number } = {}) => {
    const clock = { t: 5000, now: () => clock.t };
    const ended: string[] = [];
    let onEnd: (jobId: string) => void = () => undefined;
    const m = new JobManager({
      jobsDir, runtimeRoot: '/nonexistent', headAddress: '', credentials: { mint: () => ({ secret: 'rlj_test', saved: Promise.resolve() }), revoke: () => undefined },
      clock, store: o.store ?? memoryStore(), driverGraceMs: o.graceMs ?? 60_000,
      onEnded: (jobId) => {
        ended.push(jobId);
        onEnd(jobId);
      },
    });
    const nextEnd = () => new Promise<string>((resolve) => { onEnd = resolve; });
    const state = (jobId: string) => m.list().filter((j) => j.jobId === jobId).map((j) => [j.state, j.exitCode, j.message]);
    return { m, clock, ended, nextEnd, state };
  };
  const attach = (m: JobManager, jobId?: string) => {
    const job = m.attachDriver({ clientId: 'd1', name: 'by hand', ...(jobId ? { jobId } : {}) });
    assert.ok(job, 'the driver is attached');
    return job.jobId;
  };

  it('a driver that says it exits ends its job at once, by its exit code; its connection closing after changes nothing', () => {
    const { m, ended, state } = setup();
    const jobId = attach(m);
    m.driverExited('d1', 1);
    assert.deepEqual(state(jobId), [['FAILED', 1, undefined]]);
    m.driverDisconnected('d1');
    assert.deepEqual(state(jobId), [['FAILED', 1, undefined]]);
    assert.deepEqual(ended, [jobId]);
  });

  it('a driver whose connection went keeps its job RUNNING, and goes on in it when back under the same client id', () => {
    const { m, ended, state } = setup();
    const jobId = attach(m);
    m.driverDisconnected('d1');
    assert.deepEqual(state(jobId), [['RUNNING', null, undefined]]);
    assert.equal(attach(m, jobId), jobId);
    m.driverExited('d1', 0);
    assert.deepEqual(state(jobId), [['SUCCEEDED', 0, undefined]]);
    assert.deepEqual(ended, [jobId]);
  });

  it('a restarted head keeps a running hand-started job RUNNING, durable with its driver before the driver hears of it, and takes the driver back', async () => {
    const store = memoryStore();
    const first = setup({ store });
    const attached = first.m.attachDriver({ clientId: 'd1', name: 'by hand' });
    assert.ok(attached?.durable, 'a new job says when it is durable');
    await attached.durable;
    const { jobId } = attached;
    assert.deepEqual(store.table<{ clients?: string[]; state: string }>('jobs').get(jobId)?.clients, ['d1']);

    const again = setup({ store });
    assert.deepEqual(again.state(jobId), [['RUNNING', null, undefined]]);
    assert.equal(attach(again.m, jobId), jobId);
    again.m.driverExited('d1', 0);
    assert.deepEqual(again.state(jobId), [['SUCCEEDED', 0, undefined]]);
  });

  it('a driver that does not come back within the grace: its job is FAILED saying so, in its status and its output, and its work is ended', async () => {
    const { m, clock, ended, nextEnd, state } = setup({ graceMs: 20 });
    const jobId = attach(m);
    let output = '';
    m.follow(jobId, { output: (_s, text) => (output += text), exit: () => undefined });
    const end = nextEnd();
    m.driverDisconnected('d1');
    assert.deepEqual(state(jobId), [['RUNNING', null, undefined]]);
    clock.t += 20; // the grace is over when the head looks again
    assert.equal(await end, jobId);
    assert.deepEqual(state(jobId), [['FAILED', null, NOT_BACK]]);
    assert.match(output, /^raylaunch: the driver \(client d1\) lost its connection to the head and did not come back/m);
    assert.deepEqual(ended, [jobId]);
    assert.equal(m.attachDriver({ clientId: 'd1', jobId }), undefined, 'a driver back too late finds its job ended');
  });
});

describe('jobs as the Jobs API submits and deletes them (JobManager)', () => {
  let jobsDir = '';
  let store = memoryStore();
  beforeEach(() => {
    jobsDir = mkdtempSync(join(tmpdir(), 'rl-jobs-'));
    store = memoryStore();
  });
  afterEach(() => rmSync(jobsDir, { recursive: true, force: true }));

  // No driver starts here: its credential cannot be minted, so a submitted job ends FAILED at once.
  const credentials = { mint: () => { throw new Error('no driver in a unit test'); }, revoke: () => undefined };
  const manager = () => new JobManager({ jobsDir, runtimeRoot: '/nonexistent', headAddress: '', credentials, clock: { now: () => 5000 }, store, onEnded: () => undefined });
  const request = { name: 'job.ts', bundle: new TextEncoder().encode('export {};\n'), args: [], env: {} };
  const submission = { entrypoint: `pkg://${'a'.repeat(64)} x`, metadata: { owner: 'ana' } };

  it('a submission id names the job, and its entrypoint and metadata stay with its record across a restart of the head', () => {
    const id = manager().submit({ ...request, jobId: 'my-run', submission });
    assert.equal(id, 'my-run');
    assert.deepEqual(manager().record('my-run')?.submission, submission);
  });

  it('a submission id another job has is refused (JobIdTaken), and the job it names is left as it was', () => {
    const m = manager();
    m.submit({ ...request, jobId: 'taken' });
    const before = m.record('taken');
    assert.throws(() => m.submit({ ...request, jobId: 'taken' }), (e: unknown) => e instanceof JobIdTaken && /submission_id taken is taken by another job/.test(e.message));
    assert.deepEqual(m.record('taken'), before);
  });

  it('an ended job is removed with its folder; a running one is not; an unknown one is missing', () => {
    const m = manager();
    const ended = m.submit(request);
    const running = m.attachDriver({ clientId: 'c1', name: 'by hand' })?.jobId ?? '';
    assert.deepEqual([m.remove(ended), m.remove(running), m.remove('job-nope')], ['removed', 'running', 'missing']);
    assert.deepEqual([m.record(ended), m.list().map((j) => j.jobId).includes(ended), readdirSync(jobsDir).includes(ended)], [undefined, false, false]);
    assert.ok(m.record(running));
  });
});
