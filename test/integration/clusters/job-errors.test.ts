/**
 * What a job's author sees when their job goes wrong: driver code at the module's top level (a Ray habit), task
 * errors, errors in main() and at load time, get() timeouts. Each names the user's own files as they submitted them
 * (`job.ts:6`, or `job-x/lib.ts:2:9` when submitted from the folder above) and nothing of raylaunch's plumbing.
 */
import assert from 'node:assert/strict';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { OUTSIDE_MAIN_HINT } from '../../../src/client/errors.js';
import { TestCluster } from '../../helpers/cluster.js';

/** Nothing of raylaunch or Node's internals, and no path of the node's job folder, may reach the user. */
const PLUMBING = /node:internal|worker-process|driver-process|context\.ts|runtime\.ts|\/jobs\/job-|Node\.js v\d/;

interface Case {
  command: 'submit' | 'run';
  /** Where the user runs raylaunch: in the job's folder (`submit job.ts`) or the one above (`submit job-x/job.ts`). */
  from: 'job folder' | 'parent folder';
  /** The job, a fixture of test/fixtures/jobs/job-errors/ (their line numbers are what the expectations name). */
  job: string;
  code: number;
  /** The whole of stderr, given the path prefix the job's files are named with ('' or 'job-x/'). */
  stderr?: (prefix: string) => string;
  stderrMatches?: (prefix: string) => RegExp[];
  stdout?: RegExp[];
}

const outsideMain = (where: string, what: string) =>
  `error: ${where}: ${what}; driver code belongs inside main()\nhint: ${OUTSIDE_MAIN_HINT}\n`;

const CASES: Record<string, Case> = {
  'submit: .remote() at the module\'s top level is one line naming the job\'s file and line': {
    command: 'submit', from: 'job folder', code: 1, job: 'job-errors/top-level-remote.ts',
    stderr: (p) => outsideMain(`${p}job.ts:6`, "f.remote() was called at the module's top level"),
  },
  'submit from the folder above: the line names the job as the user gave it': {
    command: 'submit', from: 'parent folder', code: 1, job: 'job-errors/top-level-remote.ts',
    stderr: (p) => outsideMain(`${p}job.ts:6`, "f.remote() was called at the module's top level"),
  },
  'run: .remote() at the module\'s top level is one line naming the job\'s file and line': {
    command: 'run', from: 'job folder', code: 1, job: 'job-errors/top-level-remote.ts',
    stderr: (p) => outsideMain(`${p}job.ts:6`, "f.remote() was called at the module's top level"),
  },
  'submit: get() at the module\'s top level is one line naming the job\'s file and line': {
    command: 'submit', from: 'job folder', code: 1,
    job: 'job-errors/top-level-get.ts',
    stderr: (p) => outsideMain(`${p}job.ts:3`, "get() was called at the module's top level"),
  },
  'a Ray-style driver script (init() at the top level) fails in the worker processes with the line there': {
    command: 'submit', from: 'job folder', code: 1,
    job: 'job-errors/ray-style-init.ts',
    stderr: (p) => outsideMain(`${p}job.ts:6`,
      "double.remote() was called at the module's top level, which every worker process runs again when it loads the job"),
  },
  'a task error\'s stack shows the job\'s files as submitted, and where it was raised': {
    command: 'submit', from: 'parent folder', code: 1,
    job: 'job-errors/task-stack/job.ts',
    stderrMatches: (p) => [
      new RegExp(`^TypeError: bad input 7\\n    at check \\(${p}lib\\.ts:2:\\d+\\)\\n    at validate \\(${p}job\\.ts:4:\\d+\\)\\n`
        + '    \\(raised in task validate on node \\S+, pid \\d+\\)\\n$'),
    ],
  },
  'an error thrown in main() shows its stack in the job\'s file': {
    command: 'submit', from: 'job folder', code: 1,
    job: 'job-errors/throw-in-main.ts',
    stderrMatches: (p) => [new RegExp(`^Error: no input given\\n    at .*\\(${p}job\\.ts:4:\\d+\\)\\n$`)],
  },
  'an error at the module\'s top level shows its stack in the job\'s file, not Node\'s crash dump': {
    command: 'submit', from: 'job folder', code: 1,
    job: 'job-errors/bad-json-at-load.ts',
    stderrMatches: (p) => [/^SyntaxError: .*JSON/, new RegExp(`\\n    at <anonymous> \\(${p}job\\.ts:2:\\d+\\)\\n$`)],
  },
  'get() timing out names the task or actor method it waited for': {
    command: 'submit', from: 'job folder', code: 0,
    job: 'job-errors/get-timeout.ts',
    stdout: [/^GetTimeoutError: get\(\) timed out after 300 ms waiting for slow$/m, /^GetTimeoutError: get\(\) timed out after 300 ms waiting for Sleeper\.nap$/m],
    stderr: () => '',
  },
};

describe('job errors name the user\'s files (end to end)', function () {
  this.timeout(120_000);
  const name = `errs${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1 }));

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  for (const [title, c] of Object.entries(CASES)) {
    it(title, async () => {
      const dir = dirname(cluster.writeFixture(c.job));
      const [cwd, prefix] = c.from === 'job folder' ? [dir, ''] : [dirname(dir), `${basename(dir)}/`];
      const target = c.command === 'submit' ? [cluster.configFile] : ['-c', name];
      const r = await cluster.cli([c.command, ...target, join(prefix, 'job.ts')], 60_000, { cwd });
      assert.equal(r.code, c.code, `exit code\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      // submit's own first and last lines (the job id as it starts, its outcome as it ends) frame the job's output.
      const jobs = /^Job job-\w+ (started on cluster \S+|[A-Z]+( \(exit \d+\))? in \d+\.\d s)\n/gm;
      const stderr = c.command === 'submit' ? r.stderr.replace(jobs, '') : r.stderr;
      assert.doesNotMatch(stderr, PLUMBING);
      if (c.stderr) assert.equal(stderr, c.stderr(prefix));
      for (const re of c.stderrMatches?.(prefix.replace(/[-.]/g, '\\$&')) ?? []) assert.match(stderr, re);
      for (const re of c.stdout ?? []) assert.match(r.stdout, re);
    });
  }
});
