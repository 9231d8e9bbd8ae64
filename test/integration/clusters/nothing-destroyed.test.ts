// Nothing is destroyed without asking: `up` with a changed config applies what the running head can take live
// and asks before a restart; `down` asks on a terminal. Jobs of an earlier head stay listed after a restart.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';
import { TestCluster } from '../../helpers/cluster.js';
import { TmuxTerminal } from '../../helpers/tmux.js';
import { until } from '../../helpers/until.js';

describe('nothing is destroyed without asking (end to end)', function () {
  this.timeout(180_000);
  const name = `keep${process.pid}`;
  const yaml = (o: { idle?: number; headCpus?: number } = {}) => TestCluster.processConfig(name, { workers: 1, headCpus: o.headCpus ?? 1, extra: `idle_timeout_minutes: ${o.idle ?? 5}` });
  const cluster = new TestCluster(name, yaml());
  let sleeper = '';
  let running = '';

  const headPid = async () => (await cluster.status()).nodes.find((n) => n.kind === 'head')?.pid;
  const jobState = async (id: string) => (await cluster.status()).jobs.find((j) => j.job_id === id)?.status;
  /** Submits the sleeper and returns once its driver runs (it printed). */
  const startSleeper = async (): Promise<string> => {
    const r = await cluster.cli(['submit', '-c', name, sleeper, '--no-wait', '--', join(cluster.dir, `release-${Date.now()}`)]);
    assert.equal(r.code, 0, r.stderr);
    const id = /^(job-\w+)$/m.exec(r.stdout)?.[1] ?? assert.fail(r.stdout);
    await until(`job ${id} to print`, 60_000, async () => ((await cluster.cli(['job', 'logs', '-c', name, id])).stdout.includes('running') ? true : undefined));
    return id;
  };
  const cliLine = (args: string) => `env RAYLAUNCH_HOME=${cluster.home} ${process.execPath} ${join(REPO, 'bin/run.js')} ${args}`;

  before(async () => {
    await cluster.start();
    sleeper = cluster.writeFixture('nothing-destroyed/sleeper.ts');
    running = await startSleeper();
  });
  after(async () => { await cluster.stop(); });

  it('up with only autoscaler settings changed applies them to the running head: no restart, the job runs on', async () => {
    const pid = await headPid();
    writeFileSync(cluster.configFile, yaml({ idle: 1 }));
    const r = await cluster.cli(['up', cluster.configFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^applied to the running cluster without a restart: idle_timeout_minutes 5 → 1$/m);
    assert.equal(await headPid(), pid, 'the head kept running');
    assert.equal(await jobState(running), 'RUNNING');
    const again = await cluster.cli(['up', cluster.configFile, '--json']);
    assert.deepEqual((({ unchanged, applied_live }) => ({ unchanged, applied_live }))(JSON.parse(again.stdout) as { unchanged: boolean; applied_live: unknown[] }), { unchanged: true, applied_live: [] });
  });

  it('a change that needs a restart, without a terminal, needs -y and names what it would end', async () => {
    const pid = await headPid();
    writeFileSync(cluster.configFile, yaml({ idle: 1, headCpus: 2 }));
    const r = await cluster.cli(['up', cluster.configFile]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cluster ${name} runs with another config, and applying it restarts the head (changed: available_node_types.head.resources), which ends running job ${running}\n`
      + 'hint: run raylaunch up again with -y to restart it (settings the head takes live never need one: max_workers, upscaling_speed, idle_timeout_minutes, and each node type\'s min_workers and max_workers)\n');
    assert.equal(await headPid(), pid, 'nothing was restarted');
    assert.equal(await jobState(running), 'RUNNING');
  });

  it('on a terminal, up asks before a restart; no leaves everything as it was', async () => {
    const pid = await headPid();
    const term = new TmuxTerminal(cliLine(`up ${cluster.configFile}; echo "exit=$?"; sleep 60`));
    try {
      await term.waitFor(/Start cluster .*\[Y\/n\]/);
      term.type('');
      const screen = await term.waitFor(/Restart it\? \[y\/N\]/);
      assert.match(screen.replace(/\n/g, ''), new RegExp(`which ends running job ${running}`));
      term.type('n');
      await term.waitFor(/error: cancelled; nothing was changed[\s\S]*exit=1/);
    } finally {
      term.kill();
    }
    assert.equal(await headPid(), pid);
    assert.equal(await jobState(running), 'RUNNING');
  });

  it('with -y it restarts; earlier jobs stay listed and their logs readable', async () => {
    const r = await cluster.cli(['up', cluster.configFile, '-y']);
    assert.equal(r.code, 0, r.stderr);
    const list = await cluster.cli(['job', 'list', '-c', name]);
    assert.match(list.stdout, new RegExp(`^${running}\\s+STOPPED`, 'm'));
    const logs = await cluster.cli(['job', 'logs', '-c', name, running]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^running$/m);
    assert.match(logs.stdout, /the job was stopped: the head is shutting down/);
  });

  it('down with neither CONFIG nor -c, without a terminal, needs -y: it would take down the last cluster', async () => {
    const r = await cluster.cli(['down']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: down without CONFIG or -c NAME would take down cluster ${name}, the one of the most recent up\\nhint: name it \\(raylaunch down -c ${name}\\) or add -y`));
    assert.ok(await headPid(), 'the cluster is still up');
  });

  it('down on a terminal asks, naming the cluster, its provider and its running jobs; the summary counts the jobs it stopped', async () => {
    const job = await startSleeper();
    const term = new TmuxTerminal(cliLine(`down -c ${name}; echo "exit=$?"; sleep 60`));
    try {
      const screen = await term.waitFor(/\[y\/N\]/);
      assert.match(screen.replace(/\n/g, ''), new RegExp(`Take down cluster ${name} \\(process provider; running job ${job}\\)\\? \\[y/N\\]`));
      term.type('y');
      const done = await term.waitFor(/exit=0/);
      assert.match(done.replace(/\n/g, ''), new RegExp(`1 running job stopped: ${job}`));
    } finally {
      term.kill();
    }
  });
});
