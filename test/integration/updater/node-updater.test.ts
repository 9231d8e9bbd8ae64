// NodeUpdater against real sshd hosts: what a fresh, an unchanged and a broken host cost, and how a lost link
// mid-setup is reported and retried.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { runtimeHash } from '../../../src/config/hash.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { localRuntime } from '../../../src/runtime/layout.js';
import { NodeUpdateError } from '../../../src/updater/errors-update.js';
import { NodeUpdater, type UpdateStatus } from '../../../src/updater/node-updater.js';
import { stopDaemonCommand } from '../../../src/updater/remote.js';
import { SshPool, type SshRunnerOptions } from '../../../src/updater/ssh/pool.js';
import { until } from '../../helpers/until.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';
import { isAlive } from '../../helpers/hosts/system.js';

describe('NodeUpdater (real sshd hosts)', function () {
  this.timeout(60_000);
  if (!testHostsOrFail()) return;
  let hosts: TestHostPool;
  let dir: string;
  const pools: SshPool[] = [];

  before(async () => {
    hosts = await createHosts(3);
    dir = mkdtempSync(join(tmpdir(), 'rl-updater-'));
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    for (const h of hosts?.hosts ?? []) await hosts.exec(h, stopDaemonCommand('u')).catch(() => undefined);
    await hosts?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (setup: string[]): ClusterConfig => applyDefaults({
    cluster_name: 'u', provider: { type: 'local', head_ip: '10.200.0.250', worker_ips: hosts.hosts.map((h) => h.ip) },
    auth: { ssh_user: 'root', ssh_private_key: hosts.keyPath }, setup_commands: setup,
    // An agent that cannot reach its head exits after heartbeat_timeout_s: this keeps it for any test's length.
    raylaunch: { heartbeat_timeout_s: 3600 },
  });

  function updater(h: TestHost, c: ClusterConfig, o: { attempts?: number; ssh?: SshRunnerOptions; statuses?: string[] } = {}): NodeUpdater {
    const pool = new SshPool(o.ssh ?? {});
    pools.push(pool);
    return new NodeUpdater({
      runner: pool.runner({ host: h.ip, user: 'root', privateKeyPath: hosts.keyPath, knownHostsPath: join(dir, 'known_hosts') }),
      config: c, node: { id: h.ip, kind: 'worker', nodeType: c.head_node_type, ip: h.ip },
      // No head listens there: the agent keeps trying (see config), which is all these tests need of it.
      headAddress: '10.200.0.250:6380', runtime: localRuntime(), runtimeHash: runtimeHash(c),
      // No head checks it here: a worker's supervisor only needs one to hand its agent.
      credential: 'rln_test-credential', files: {}, mountSource: (_r, l) => l, attempts: o.attempts ?? 3,
      onStatus: (s: UpdateStatus, detail) => o.statuses?.push(`${s}: ${detail}`),
    });
  }

  it('sets a fresh host up fully, and an unchanged one costs one probe and no restart', async () => {
    const [h] = hosts.hosts as [TestHost];
    const c = config(['echo set up > ~/setup-ran']);
    const first = await updater(h, c).update();
    assert.deepEqual([first.steps.uploadRuntime, first.steps.sync, first.steps.setup, first.steps.start], [true, true, true, true]);
    assert.equal((await hosts.exec(h, 'cat ~/setup-ran')).stdout.trim(), 'set up');
    const daemon = await until('the supervisor to write its pid file', 30_000, async () => {
      const pid = (await hosts.exec(h, 'cat .raylaunch/clusters/u/supervisor.pid 2>/dev/null')).stdout.trim();
      return /^\d+$/.test(pid) ? pid : undefined;
    });
    const statuses: string[] = [];
    const again = await updater(h, c, { statuses }).update();
    assert.deepEqual([again.steps.sync, again.steps.setup, again.steps.start], [false, false, false]);
    assert.deepEqual(statuses, [`waiting-for-ssh: connecting to ${h.ip}`, 'up-to-date: up to date']);
    assert.equal((await hosts.exec(h, 'cat .raylaunch/clusters/u/supervisor.pid')).stdout.trim(), daemon, 'not restarted');
    // The node credential went to the supervisor's memory: no file holds one, and the state the updater wrote is 0600.
    const state = (await hosts.exec(h, 'cd .raylaunch/clusters/u && ls token 2>&1; stat -c %a config.json; grep -rl rln_test-credential . 2>/dev/null | wc -l')).stdout.trim().split('\n');
    assert.deepEqual(state.slice(1), ['600', '0']);
    assert.match(state[0] ?? '', /No such file/);
  });

  it('a worker\'s runtime folder holds what its entries load and no AWS SDK chunk, named apart from the whole runtime\'s', async () => {
    const [h] = hosts.hosts as [TestHost];
    const rt = localRuntime();
    assert.ok(rt.worker, 'the build names what a worker gets');
    assert.notEqual(rt.worker.hash, rt.hash);
    await updater(h, config([])).update();
    const folder = `.raylaunch/runtime/${rt.version}-${rt.worker.hash}`;
    const r = await hosts.exec(h, `cd ${folder} && ls && grep -l DescribeInstancesCommand -- * | wc -l && du -sk . | cut -f1`);
    const lines = r.stdout.trim().split('\n');
    const [kib, sdkFiles] = [Number(lines.pop()), lines.pop()];
    assert.deepEqual(lines.sort(), [...rt.worker.files, 'manifest.json'].sort());
    assert.equal(sdkFiles, '0', 'no file of the folder holds the EC2 client');
    assert.ok(kib < 4096, `the worker's runtime takes ${kib} KiB`);
  });

  it('stopping a node also ends a daemon whose supervisor was killed (its process group outlived it)', async () => {
    const [h] = hosts.hosts as [TestHost];
    await updater(h, config([]), {}).update();
    const sup = await until('the supervisor', 30_000, async () => {
      const pid = (await hosts.exec(h, 'cat .raylaunch/clusters/u/supervisor.pid 2>/dev/null')).stdout.trim();
      return /^\d+$/.test(pid) ? Number(pid) : undefined;
    });
    const child = await until('its agent', 30_000, async () => {
      const pid = (await hosts.exec(h, `cat /proc/${sup}/task/${sup}/children`)).stdout.trim().split(/\s+/)[0];
      return pid && /^\d+$/.test(pid) ? Number(pid) : undefined;
    });
    process.kill(sup, 'SIGKILL'); // as the OOM killer would
    await until('the supervisor to be gone', 30_000, () => (isAlive(sup) ? undefined : true));
    assert.ok(isAlive(child), 'the orphaned agent still runs');
    const r = await hosts.exec(h, stopDaemonCommand('u'));
    assert.match(r.stdout, /stopped/);
    await until('the orphaned agent to be gone', 30_000, () => (isAlive(child) ? undefined : true));
  });

  it('a failing setup command names itself, its exit code and its last lines', async () => {
    const [, h] = hosts.hosts as [TestHost, TestHost];
    const err = await updater(h, config(['echo preparing; echo "disk full" >&2; exit 7']), { attempts: 1 }).update().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof NodeUpdateError, String(err));
    assert.equal(err.step, 'setting-up');
    assert.equal(err.commandExitCode, 7);
    assert.deepEqual(err.lastLines, ['preparing', 'disk full']);
    assert.match(err.message, /failed on 10\.200\.0\.\d+ with exit code 7; its last lines:\n {4}preparing\n {4}disk full/);
  });

  it('a link cut mid-setup fails that attempt with the reason, and the next attempt finishes the update', async () => {
    const [, , h] = hosts.hosts as [TestHost, TestHost, TestHost];
    const statuses: string[] = [];
    // The setup runs until the test lets it finish (bounded), so the link is cut while it runs, not after.
    await hosts.exec(h, 'rm -f ~/setup-started ~/setup-go');
    const setup = 'touch ~/setup-started; n=0; until [ -e ~/setup-go ] || [ $n -ge 600 ]; do sleep 0.1; n=$((n+1)); done';
    const run = updater(h, config([setup]), { statuses, ssh: { keepaliveIntervalMs: 300, connectTimeoutMs: 30_000 } }).update();
    run.catch(() => undefined); // awaited below; this only keeps a failed wait from leaving it unhandled
    try {
      await until('the setup command to start', 30_000, async () => ((await hosts.exec(h, 'test -f ~/setup-started')).code === 0 ? true : undefined));
      await hosts.cut(h);
      try {
        // the keepalives give the connection up, and the updater reports the failed attempt before retrying
        await until('attempt 1 to fail on the cut link', 30_000, () => {
          if (statuses.some((s) => s.includes('attempt 1 of 3 failed'))) return true;
          throw new Error(`statuses so far: ${statuses.join(' | ')}`);
        });
      } finally {
        await hosts.restore(h);
      }
    } finally {
      await hosts.exec(h, 'touch ~/setup-go'); // the next attempt's setup runs through
    }
    const r = await run;
    assert.equal(r.attempts, 2);
    const failed = statuses.find((s) => s.includes('attempt 1 of 3 failed'));
    assert.ok(failed, statuses.join('\n'));
    assert.match(failed, /10\.200\.0\.\d+/);
    assert.equal(statuses.at(-1), 'up-to-date: first setup');
  });

  it('a host that stays unreachable fails with its address, the step and why', async () => {
    const [h] = hosts.hosts as [TestHost];
    await hosts.cut(h);
    try {
      const err = await updater(h, config([]), { attempts: 1, ssh: { connectTimeoutMs: 1500 } }).update().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof NodeUpdateError, String(err));
      assert.equal(err.step, 'waiting-for-ssh');
      assert.match(err.message, new RegExp(`${h.ip.replace(/\./g, '\\.')}.*(timed out|no route)`));
    } finally {
      await hosts.restore(h);
    }
  });
});
