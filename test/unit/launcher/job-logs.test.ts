// `down` of an SSH cluster brings the jobs' logs back before their folders leave the hosts: what the head sends is
// read as data (only driver.log and job.json of plainly named job folders, never through a link), and the shell
// lines that remove the jobs' files keep the nodes' own logs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { jobLogsCommand, parseJobLogs, saveJobLogs } from '../../../src/launcher/job-logs.js';
import { forgetCommand } from '../../../src/updater/remote.js';

const sh = (home: string, cmd: string): Buffer => execFileSync('sh', ['-c', cmd], { env: { HOME: home, PATH: process.env.PATH ?? '' }, cwd: home });

describe('the jobs\' logs, from the head to this machine', () => {
  let home = '';
  let state = '';
  const put = (rel: string, content: string | Buffer) => {
    mkdirSync(join(state, rel, '..'), { recursive: true });
    writeFileSync(join(state, rel), content);
  };
  const LOG = Buffer.concat([Buffer.from('line 1\nF job-9 driver.log 3\nE\n'), Buffer.from([0, 255, 10, 13])]);
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rl-joblogs-'));
    state = join(home, '.raylaunch/clusters/c');
    put('jobs/job-1/job.json', '{"jobId":"job-1"}');
    put('jobs/job-1/driver.log', LOG);
    put('jobs/job-1/job.mjs', 'code');
    put('jobs/job-1/working_dir/data.txt', 'data');
    put('jobs/job-2/job.json', '{}');
    symlinkSync('/etc/passwd', join(state, 'jobs/job-2/driver.log'));
    put('jobs/..hidden/driver.log', 'no');
    put('jobs/a b/driver.log', 'no');
    symlinkSync(join(state, 'jobs/job-1'), join(state, 'jobs/job-3'));
    put('jobs-last-run/job-0/driver.log', 'older');
    put('node-data/10.0.0.1/jobs/job-1/job.mjs', 'code');
    put('node-data/10.0.0.1/logs/worker-job-1.log', 'worker log');
    put('logs/10.0.0.1.log', 'node log');
    for (const f of ['token', 'ssh_key', 'config.json']) put(f, 'secret');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('lists the driver.log and job.json of each plainly named job folder, byte for byte, and nothing through a link', () => {
    const logs = parseJobLogs(sh(home, jobLogsCommand('c')));
    assert.deepEqual(logs.map((l) => [l.jobId, l.file, l.data.toString('latin1')]).sort(), [
      ['job-1', 'driver.log', LOG.toString('latin1')], ['job-1', 'job.json', '{"jobId":"job-1"}'], ['job-2', 'job.json', '{}'],
    ]);
  });

  it('a head with no jobs folder lists none', () => {
    rmSync(join(state, 'jobs'), { recursive: true });
    assert.deepEqual(parseJobLogs(sh(home, jobLogsCommand('c'))), []);
  });

  const BAD: [string, string][] = [
    ['a list cut short', 'F job-1 driver.log 3\nabc\n'],
    ['a path for a job id', 'F ../x driver.log 1\na\nE\n'],
    ['a dotted job id', 'F .. driver.log 1\na\nE\n'],
    ['a file that is not a log', 'F job-1 job.mjs 1\na\nE\n'],
    ['fewer bytes than announced', 'F job-1 driver.log 5\nabc\nE\n'],
    ['a size beyond the cap', `F job-1 driver.log ${2 ** 40}\nE\n`],
    ['extra fields', 'F job-1 driver.log 1 x\na\nE\n'],
  ];
  for (const [what, out] of BAD) {
    it(`refuses ${what}`, () => assert.throws(() => parseJobLogs(Buffer.from(out))));
  }

  it('saves them as jobs-last-run/<job>/<file>, 0600 in 0700 folders, replacing the previous run\'s', () => {
    const dir = join(home, 'local');
    mkdirSync(join(dir, 'jobs-last-run/job-0'), { recursive: true });
    writeFileSync(join(dir, 'jobs-last-run/job-0/driver.log'), 'older');
    const at = saveJobLogs(dir, parseJobLogs(sh(home, jobLogsCommand('c'))));
    assert.equal(at, join(dir, 'jobs-last-run'));
    assert.deepEqual(readdirSync(at).sort(), ['job-1', 'job-2']);
    assert.deepEqual(readFileSync(join(at, 'job-1/driver.log')), LOG);
    assert.equal(statSync(join(at, 'job-1/driver.log')).mode & 0o777, 0o600);
    assert.equal(statSync(join(at, 'job-1')).mode & 0o777, 0o700);
  });

  it('a run without jobs keeps the previous run\'s logs', () => {
    const dir = join(home, 'local');
    mkdirSync(join(dir, 'jobs-last-run/job-0'), { recursive: true });
    assert.equal(saveJobLogs(dir, []), undefined);
    assert.equal(existsSync(join(dir, 'jobs-last-run/job-0')), true);
  });

  const FORGET: [string, boolean, string[], string[]][] = [
    ['once the logs are here: the jobs\' folders go, everywhere', true,
      ['logs/10.0.0.1.log', 'node-data/10.0.0.1/logs/worker-job-1.log'],
      ['token', 'ssh_key', 'config.json', 'jobs', 'jobs-last-run', 'node-data/10.0.0.1/jobs']],
    ['when they could not be copied: the head keeps its jobs\' folders', false,
      ['logs/10.0.0.1.log', 'node-data/10.0.0.1/logs/worker-job-1.log', 'jobs/job-1/driver.log', 'jobs-last-run/job-0/driver.log'],
      ['token', 'ssh_key', 'config.json', 'node-data/10.0.0.1/jobs']],
  ];
  for (const [what, jobs, kept, gone] of FORGET) {
    it(`forget on a node, ${what}; the secrets go, the nodes' logs stay`, () => {
      sh(home, forgetCommand('c', { jobs }));
      for (const f of kept) assert.equal(existsSync(join(state, f)), true, `${f} kept`);
      for (const f of gone) assert.equal(existsSync(join(state, f)), false, `${f} removed`);
    });
  }
});
