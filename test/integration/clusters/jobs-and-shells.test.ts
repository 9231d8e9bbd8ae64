import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';
import { TestCluster } from '../../helpers/cluster.js';
import { EXEC_CASES } from '../../helpers/exec-cases.js';
import { assertOutput } from '../../helpers/output-schemas.js';
import { TmuxTerminal } from '../../helpers/tmux.js';
import { until } from '../../helpers/until.js';

describe('jobs from the command line, attach, exec and run (end to end)', function () {
  this.timeout(120_000);
  const name = `jobs${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1 }));
  let jobFile = '';
  let jobId = '';

  before(async () => {
    await cluster.start();
    jobFile = cluster.writeFixture('jobs-and-shells/working-dir.ts');
    const wd = join(cluster.dir, 'wd');
    mkdirSync(wd, { recursive: true });
    writeFileSync(join(wd, 'data.txt'), 'hello from the working dir\n');
    writeFileSync(join(wd, 'ignored.bin'), 'x'.repeat(1000));
    writeFileSync(join(wd, '.gitignore'), '*.bin\n');
  });
  after(async () => { await cluster.stop(); });

  it('submit --working-dir uploads the folder (minus .gitignored files) for the driver and its tasks; --env sets variables', async () => {
    const r = await cluster.cli(['submit', '-c', name, jobFile, '--working-dir', join(cluster.dir, 'wd'), '--env', 'MODE=fast']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^driver: hello from the working dir,false,fast$/m);
    assert.match(r.stdout, /^task: hello from the working dir,false,fast$/m);
  });

  it('--env and --working-dir may come before the job path too', async () => {
    const r = await cluster.cli(['submit', '--env', 'MODE=early', '--working-dir', join(cluster.dir, 'wd'), '-c', name, jobFile, '--env', 'OTHER=x']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^task: hello from the working dir,false,early$/m);
  });

  it('a working dir past --max-upload-mb is refused, naming the biggest files', async () => {
    const big = join(cluster.dir, 'big');
    mkdirSync(big, { recursive: true });
    writeFileSync(join(big, 'huge.dat'), Buffer.alloc(2 * 1024 * 1024));
    const r = await cluster.cli(['submit', '-c', name, jobFile, '--working-dir', big, '--max-upload-mb', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds 2\.0 MB after \.gitignore, more than the 1 MB limit; the biggest files: huge\.dat \(2\.0 MB\)/);
    assert.match(r.stderr, /hint: add large files to \.gitignore/);
  });

  it('submit --no-wait prints the job id and how to follow it; job logs --follow follows it', async () => {
    const r = await cluster.cli(['submit', '-c', name, jobFile, '--no-wait', '--working-dir', join(cluster.dir, 'wd')]);
    assert.equal(r.code, 0, r.stderr);
    const m = /^(job-\w+)\nfollow it: raylaunch job logs -c \S+ (job-\w+) --follow$/m.exec(r.stdout);
    assert.ok(m && m[1] === m[2], r.stdout);
    jobId = m[1] as string;
    const logs = await cluster.cli(['job', 'logs', '-c', name, jobId, '--follow']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^task: hello from the working dir,false,$/m);
    assert.match(logs.stderr, /to stderr/);
  });

  const JSON_STEPS: [string, () => string[], (j: Record<string, unknown>) => void][] = [
    ['job-list', () => ['job', 'list', '-c', name, '--json'], (j) => assert.ok((j.jobs as { job_id: string }[]).some((x) => x.job_id === jobId))],
    ['job-status', () => ['job', 'status', '-c', name, jobId, '--json'], (j) => assert.deepEqual([j.status, j.exit_code], ['SUCCEEDED', 0])],
    ['job-logs', () => ['job', 'logs', cluster.configFile, jobId, '--json'], (j) => assert.ok((j.output as { text: string }[]).some((o) => o.text.includes('task: hello')))],
    ['job-stop', () => ['job', 'stop', '-c', name, jobId, '--json'], (j) => assert.equal(j.status, 'SUCCEEDED')],
  ];
  for (const [schema, args, check] of JSON_STEPS) {
    it(`${schema.replace('-', ' ')} --json matches its schema`, async () => {
      const r = await cluster.cli(args());
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      assertOutput(schema, json);
      check(json);
    });
  }

  it('job stop stops a running job; job status then says STOPPED', async () => {
    const r = await cluster.cli(['submit', '-c', name, jobFile, '--no-wait', '--', 'sleep']);
    const id = /^(job-\w+)$/m.exec(r.stdout)?.[1] ?? '';
    await until('the job to say it sleeps', 60_000, async () => ((await cluster.cli(['job', 'logs', '-c', name, id])).stdout.includes('sleeping') ? true : undefined));
    const stop = await cluster.cli(['job', 'stop', '-c', name, id]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout.trim(), `${id} STOPPED`);
    const status = await cluster.cli(['job', 'status', '-c', name, id]);
    assert.match(status.stdout, new RegExp(`${id}\\s+STOPPED`));
  });

  it('an unknown job id is a clear error', async () => {
    const r = await cluster.cli(['job', 'logs', '-c', name, 'job-nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: no job job-nope on this cluster\nhint: list the jobs with raylaunch job list\n');
  });

  it('exec passes stdout and stderr through unchanged and exits with the command\'s code', async () => {
    const r = await cluster.cli(['exec', '-c', name, 'echo out; echo err >&2; echo "$RAYLAUNCH_CLUSTER"; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, `out\n${name}\n`);
    assert.equal(r.stderr, 'err\n');
    const dashed = await cluster.cli(['exec', cluster.configFile, '--', 'raylaunch', 'job', 'list', '--json']);
    assert.equal(dashed.code, 0, dashed.stderr);
    assertOutput('job-list', JSON.parse(dashed.stdout));
  });

  for (const c of EXEC_CASES) {
    for (const [how, cluster_] of [['-c NAME', () => ['-c', name]], ['a config path', () => [cluster.configFile]]] as const) {
      it(`exec with ${how} -- ${c.title}: everything after -- is the command's`, async () => {
        const r = await cluster.cli(['exec', ...cluster_(), '--', ...c.command]);
        assert.equal(r.stderr, '');
        assert.deepEqual([r.code, r.stdout], [c.code, c.stdout]);
      });
    }
  }

  const OUTCOMES: [string, string[], RegExp][] = [
    ['a job that succeeds', [], /^Job (job-\w+) SUCCEEDED in \d+\.\d s$/],
    ['a job that exits 3', ['3'], /^Job (job-\w+) FAILED \(exit 3\) in \d+\.\d s$/],
  ];
  for (const [what, args, last] of OUTCOMES) {
    it(`submit says the job id as it starts and the outcome as it ends: ${what}`, async () => {
      const job = cluster.writeFixture('jobs-and-shells/exit-code.ts');
      const r = await cluster.cli(['submit', '-c', name, job, '--', ...args]);
      const lines = r.stderr.trimEnd().split('\n');
      const started = new RegExp(`^Job (job-\\w+) started on cluster ${name}$`).exec(lines[0] ?? '');
      assert.ok(started, r.stderr);
      assert.equal(last.exec(lines.at(-1) ?? '')?.[1], started[1], r.stderr);
      assert.equal(r.stdout, 'out\n');
      assert.equal((r.stderr + r.stdout).includes('\u001b['), false, 'no colour when the output is not a terminal');
    });
  }

  it('on a terminal states are in colour, unless NO_COLOR is set', async () => {
    for (const [env, coloured] of [['', true], ['NO_COLOR=1 ', false]] as const) {
      const term = new TmuxTerminal(`env ${env}RAYLAUNCH_HOME=${cluster.home} ${process.execPath} ${join(REPO, 'bin/run.js')} job list -c ${name}; sleep 60`);
      try {
        await term.waitFor(/SUCCEEDED/);
        assert.equal(term.screen(true).includes('\u001b[32mSUCCEEDED'), coloured, `${env || 'default'}:\n${term.screen(true)}`);
      } finally {
        term.kill();
      }
    }
  });

  it('Ctrl-C on a terminal asks to stop or detach, and the question stays readable while the job prints', async () => {
    const job = cluster.writeFixture('jobs-and-shells/ticks.ts');
    const term = new TmuxTerminal(`env RAYLAUNCH_HOME=${cluster.home} ${process.execPath} ${join(REPO, 'bin/run.js')} submit -c ${name} ${job}; echo "exit=$?"; sleep 60`);
    let id = '';
    try {
      id = /Job (job-\w+) started/.exec(await term.waitFor(/tick 5\b/))?.[1] ?? '';
      term.press('C-c');
      await term.waitFor(/detach and leave it running:$/m); // tmux trims the trailing space
      const ticks = async () => Number(/tick (\d+)\n$/.exec((await cluster.cli(['job', 'logs', '-c', name, id])).stdout)?.[1] ?? -1);
      const atQuestion = await ticks();
      await until('the job to print 20 more lines', 60_000, async () => ((await ticks()) > atQuestion + 20 ? true : undefined));
      const lastLine = term.screen().trimEnd().split('\n').at(-1) ?? '';
      assert.match(lastLine, new RegExp(`^Stop job ${id}\\? \\[y\\] stop it / \\[N\\] detach and leave it running:$`), term.screen());
      term.type('N');
      await term.waitFor(/detached; the job keeps running[\s\S]*exit=0/);
      assert.equal((await cluster.cli(['job', 'status', '-c', name, id])).stdout.includes('RUNNING'), true, 'detached, it runs on');
    } finally {
      term.kill();
      if (id) await cluster.cli(['job', 'stop', '-c', name, id]);
    }
  });

  it('commands piped into attach run in the head\'s shell, as with ssh; its exit code passes through', async () => {
    const r = await cluster.cli(['attach', '-c', name], 60_000, { input: 'echo "piped on $RAYLAUNCH_CLUSTER"\nexit 4\n' });
    assert.deepEqual([r.code, r.stdout, r.stderr], [4, `piped on ${name}\n`, '']);
  });

  it('run starts a driver by hand against the cluster and passes its exit code', async () => {
    const r = await cluster.cli(['run', '-c', name, jobFile]);
    assert.equal(r.code, 1, 'no data.txt here: the job fails, and run says so');
    assert.match(r.stderr, /ENOENT.*data\.txt/);
    const ok = cluster.writeFixture('jobs-and-shells/double.ts');
    const r2 = await cluster.cli(['run', '-c', name, ok, '--', '21']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stdout, 'doubled 42\n');
  });

  it('attach opens a shell on the head in which raylaunch run runs a job (driven through tmux)', async () => {
    assert.equal(spawnSync('tmux', ['-V']).status, 0, 'tmux is needed for this test (.ci/run installs it)');
    const ok = cluster.writeFixture('jobs-and-shells/from-the-cluster.ts');
    const term = new TmuxTerminal(`env RAYLAUNCH_HOME=${cluster.home} SHELL=/bin/sh ${process.execPath} ${join(REPO, 'bin/run.js')} attach -c ${name}`);
    try {
      await term.waitFor(/attached to cluster/);
      term.type(`raylaunch run ${ok}; echo "exit=$?"; pwd`);
      const screen = await term.waitFor(/exit=0/);
      assert.match(screen, /attach says from the cluster/);
      assert.match(screen, new RegExp(`node-data/head-\\w+`));
      term.type('exit');
    } finally {
      term.kill();
    }
  });
});
