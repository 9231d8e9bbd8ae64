import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { readStatSync } from '../../../providers/process/proc.js';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { DRIVER_FILES, type DriverRecord } from '../../../src/head/jobs/driver.js';
import { JobManager, type JobSink } from '../../../src/head/jobs/job-manager.js';
import type { JobState, JobView } from '../../../src/protocol/messages.js';

/** What a follower got: its text, each piece's `at`, and the job's end. */
function collect(): { sink: JobSink; text: () => string; ats: (number | undefined)[]; ended: Promise<[JobState, number | null]> } {
  let text = '';
  const ats: (number | undefined)[] = [];
  let done: (v: [JobState, number | null]) => void = () => undefined;
  const ended = new Promise<[JobState, number | null]>((resolve) => { done = resolve; });
  return { sink: { output: (_s, t, at) => { text += t; ats.push(at); }, exit: (s, c) => done([s, c]) }, text: () => text, ats, ended };
}

describe('a job\'s output across a head restart: neither lost nor repeated, and a follower resumes at its count', () => {
  let jobsDir = '';
  beforeEach(() => { jobsDir = mkdtempSync(join(tmpdir(), 'rl-job-out-')); });
  afterEach(() => rmSync(jobsDir, { recursive: true, force: true }));

  /**
   * A head killed after it had logged "two\n" (and sent it to followers) but before it saved how far it had read:
   * its record says stdout was read up to "one\n" and driver.log held that much then. The driver has ended (its
   * exit status written), so the next head reads what is left and ends the job.
   */
  const killedMidway = () => {
    const dir = join(jobsDir, 'job-a');
    mkdirSync(dir);
    const view: JobView = { jobId: 'job-a', name: 'job.ts', state: 'RUNNING', exitCode: null, startedAt: 1000, endedAt: null };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(view));
    writeFileSync(join(dir, DRIVER_FILES.stdout), 'one\ntwo\nthree\n');
    writeFileSync(join(dir, DRIVER_FILES.stderr), '');
    writeFileSync(join(dir, 'driver.log'), 'earlier\none\ntwo\n');
    const stat = readStatSync(process.pid);
    assert.ok(stat);
    const record: DriverRecord = { pid: process.pid, startTime: stat.startTime, offsets: { stdout: 4, stderr: 0 }, logBytes: 'earlier\none\n'.length };
    writeFileSync(join(dir, DRIVER_FILES.record), JSON.stringify(record));
    writeFileSync(join(dir, DRIVER_FILES.exit), '0\n');
    return dir;
  };
  const manager = () => new JobManager({
    jobsDir, runtimeRoot: '/nonexistent', headAddress: '', clock: { now: () => 5000 }, store: memoryStore(), onEnded: () => undefined,
    credentials: { mint: () => ({ secret: 'rlj_test', saved: Promise.resolve() }), revoke: () => undefined },
  });

  it('the next head cuts driver.log back to what its record says and reads the rest again from the driver\'s files', async () => {
    const dir = killedMidway();
    const m = manager();
    const all = collect();
    m.follow('job-a', all.sink);
    assert.deepEqual(await all.ended, ['SUCCEEDED', 0]);
    assert.equal(readFileSync(join(dir, 'driver.log'), 'utf8'), 'earlier\none\ntwo\nthree\n');
    assert.equal(all.text(), 'earlier\none\ntwo\nthree\n');
  });

  it('a follower back at its count of characters gets only what it has not seen, each piece with where it starts', async () => {
    killedMidway();
    const m = manager();
    const first = collect();
    m.follow('job-a', first.sink);
    await first.ended;
    const seen = 'earlier\none\ntw'.length; // what a follower of the killed head had, mid-line
    const back = collect();
    m.follow('job-a', back.sink, true, seen);
    await back.ended;
    assert.equal(back.text(), 'o\nthree\n');
    assert.equal(back.ats[0], seen);
  });
});
