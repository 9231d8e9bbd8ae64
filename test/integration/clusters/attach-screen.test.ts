// attach --screen on a cluster of a real sshd test host (test/helpers/hosts), driven through a terminal of the test's own
// the way a user would: a screen session on the head, a command typed in it, then screen quit from inside.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';
import type { TestCluster } from '../../helpers/cluster.js';
import { localCluster } from '../../helpers/local-cluster.js';
import { TmuxTerminal } from '../../helpers/tmux.js';
import { until } from '../../helpers/until.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

/** PIDs of screen's processes on a host (the client `screen` and the session's `SCREEN`), by their command line. */
async function screenPids(pool: TestHostPool, h: TestHost): Promise<number[]> {
  return (await pool.pids(h)).filter((pid) => {
    try {
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      return /^screen$/i.test(basename(argv0));
    } catch {
      return false; // gone meanwhile
    }
  });
}

describe('attach --screen on a cluster of test hosts (end to end)', function () {
  this.timeout(120_000);
  if (!testHostsOrFail()) return;
  let pool: TestHostPool;
  let head: TestHost;
  let cluster: TestCluster;

  before(async function () {
    this.timeout(240_000);
    pool = await createHosts(1);
    [head] = pool.hosts as [TestHost];
    cluster = localCluster(`scr${process.pid}`, pool, head, [], { min_workers: 0, max_workers: 0 });
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain'], 200_000);
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
  });

  after(async function () {
    this.timeout(120_000);
    try {
      await cluster?.stop();
    } finally {
      await pool?.remove();
    }
  });

  it('attach --screen opens a screen session on the head; quitting screen ends attach and leaves no screen process there', async () => {
    const screenVersion = await pool.exec(head, 'screen -v');
    assert.equal(screenVersion.code, 0, `screen is needed on the test hosts (.ci/run installs it): ${screenVersion.stderr}`);
    assert.deepEqual(await screenPids(pool, head), [], 'no screen on the head to begin with');

    // the shell after attach keeps the pane (and its last lines) once attach has ended, until the terminal is killed
    const attach = `env RAYLAUNCH_HOME=${cluster.home} ${process.execPath} ${join(REPO, 'bin/run.js')} attach ${cluster.configFile} --screen`;
    const term = new TmuxTerminal(`sh -c '${attach}; echo "attach exited with $?"; read _'`);
    try {
      await until('a screen session on the head', 30_000, async () => ((await screenPids(pool, head)).length > 0 ? true : undefined));
      // the session's shell is ready once screen shows its prompt
      await term.waitFor(/[#$] *$/m);
      term.type('hostname');
      await term.waitFor(new RegExp(`^${head.hostname}$`, 'm'));

      term.type('exit');
      await term.waitFor(/^attach exited with 0$/m);
      await until('no screen process left on the head', 10_000, async () => ((await screenPids(pool, head)).length === 0 ? true : undefined));
      const sessions = await pool.exec(head, 'screen -ls');
      assert.match(sessions.stdout, /No Sockets found/, sessions.stdout);
    } finally {
      term.kill();
    }
  });
});
