import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import type { TestCluster } from '../../helpers/cluster.js';
import { localCluster, localConfigFor, raylaunchPids } from '../../helpers/local-cluster.js';
import { until } from '../../helpers/until.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

describe('a local cluster on real SSH hosts', function () {
  this.timeout(120_000);
  if (!testHostsOrFail()) return;
  let pool: TestHostPool;
  let head: TestHost;
  let workers: TestHost[];
  let cluster: TestCluster;
  let job: string;
  let app = '';

  const status = async (): Promise<StatusJson> => {
    const r = await cluster.cli(['status', cluster.configFile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusJson;
  };
  const aliveWorkers = async () => (await status()).nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE').map((n) => n.node_id).sort();

  before(async () => {
    pool = await createHosts(4);
    [head, ...workers] = pool.hosts as [TestHost, ...TestHost[]];
    app = mkdtempSync(join(tmpdir(), 'rl-app-'));
    mkdirSync(join(app, 'data'));
    writeFileSync(join(app, 'data', 'input.txt'), 'input\n');
    writeFileSync(join(app, '.gitignore'), 'secret.env\n');
    writeFileSync(join(app, 'secret.env'), 'TOKEN=never-copied\n');
    cluster = localCluster('lc', pool, head, workers, { min_workers: 1, max_workers: 3, idle_timeout_minutes: 0.05, file_mounts: { '~/app': app } });
    job = cluster.writeFixture('local-cluster/where.ts');
  });

  after(async () => {
    try {
      await cluster?.stop();
    } finally {
      await pool?.remove();
      if (app) rmSync(app, { recursive: true, force: true });
    }
  });

  it('up starts the head and min_workers over SSH and returns once they registered', async () => {
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`cluster lc is up \\(local provider\\)\\n {2}head {7}${head.ip.replace(/\./g, '\\.')}`));
    assert.equal((await aliveWorkers()).length, 1);
    assert.match(r.stderr, new RegExp(`${head.ip.replace(/\./g, '\\.')}: syncing-files \\(uploading the runtime`));
  });

  it('file_mounts reach the head and, from it, the workers; a .gitignored file stays behind', async () => {
    const [worker] = await aliveWorkers();
    for (const h of pool.hosts.filter((x) => x.ip === head.ip || x.ip === worker)) {
      assert.equal((await pool.exec(h, 'cat ~/app/data/input.txt')).stdout, 'input\n', h.ns);
      assert.notEqual((await pool.exec(h, 'test -e ~/app/secret.env')).code, 0, `secret.env reached ${h.ns}`);
    }
  });

  it('pins each host key in the cluster\'s known_hosts, in a form OpenSSH accepts', () => {
    const file = join(cluster.home, 'clusters', 'lc', 'known_hosts');
    const out = execFileSync('ssh', ['-i', pool.keyPath, '-o', `UserKnownHostsFile=${file}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${head.ip}`, 'hostname']).toString().trim();
    assert.equal(out, head.hostname);
  });

  it('up on the unchanged cluster restarts nothing', async () => {
    const headPid = async () => (await status()).nodes.find((n) => n.kind === 'head')?.pid;
    const before = await headPid();
    assert.ok(before);
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { unchanged: boolean }).unchanged, true);
    assert.equal(await headPid(), before, 'the head kept running');
  });

  it('up with only an autoscaler setting changed hands it to the running head over SSH, restarting nothing', async () => {
    const headPid = async () => (await status()).nodes.find((n) => n.kind === 'head')?.pid;
    const before = await headPid();
    const settings = { min_workers: 1, max_workers: 3, idle_timeout_minutes: 0.05, file_mounts: { '~/app': app } };
    writeFileSync(cluster.configFile, localConfigFor('lc', pool, head, workers, { ...settings, upscaling_speed: 2 }));
    const r = await cluster.cli(['up', cluster.configFile, '--log-style', 'plain']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^applied to the running cluster without a restart: upscaling_speed 1 → 2$/m);
    assert.match(r.stderr, /: up-to-date \(up to date\)/, 'the head was not restarted');
    assert.equal(await headPid(), before);
    assert.match((await pool.exec(head, 'cat .raylaunch/clusters/lc/config.json')).stdout, /"upscaling_speed": 2/, 'a restarted head would keep it');
    const again = await cluster.cli(['up', cluster.configFile, '--json']);
    assert.equal((JSON.parse(again.stdout) as { unchanged: boolean }).unchanged, true, again.stderr);
  });

  it('runs a job whose tasks land on several hosts', async () => {
    const r = await cluster.submit(job, ['--', '200', '8']);
    assert.equal(r.code, 0, r.stderr);
    const nodes = /nodes: (.*)/.exec(r.stdout)?.[1]?.split(',') ?? [];
    assert.ok(nodes.length >= 2, `tasks ran on ${nodes.join(', ')}`);
    for (const n of nodes) assert.ok([head.ip, ...workers.map((w) => w.ip)].includes(n), n);
  });

  it('the autoscaler adds a worker host for queued work and removes it once idle', async () => {
    // The previous job may have added a host already: start from min_workers.
    await until('the cluster to be back at min_workers', 60_000, async () => ((await aliveWorkers()).length === 1 ? true : undefined));
    const launchesBefore = (await status()).autoscaler?.events.filter((e) => e.kind === 'launch').length ?? 0;
    // 4 CPUs in the cluster (2 per host), 10 one-CPU tasks that run until a host is added: the queue asks for one.
    const r = await cluster.submit(job, ['--', 'hold', '10']);
    assert.equal(r.code, 0, r.stderr);
    const launches = (await status()).autoscaler?.events.filter((e) => e.kind === 'launch') ?? [];
    assert.ok(launches.length > launchesBefore, 'a launch for the queued tasks');
    assert.match(launches.at(-1)?.message ?? '', /launch \d+ × local\.cluster\.node for \d+ pending \{CPU: 1\}/);
    await until('idle workers to be terminated down to min_workers', 60_000, async () => {
      if ((await aliveWorkers()).length === 1) return true;
      throw new Error((await cluster.cli(['status', cluster.configFile])).stdout);
    });
    assert.match((await status()).autoscaler?.events.map((e) => e.message).join('\n') ?? '', /terminate 10\.200\.0\.\d+: idle/);
  });

  it('a killed agent is restarted by the supervisor and registers again', async () => {
    const [worker] = await aliveWorkers();
    const host = pool.hosts.find((h) => h.ip === worker);
    assert.ok(host);
    const supervisorPid = async () => (await pool.exec(host, 'cat .raylaunch/clusters/lc/supervisor.pid')).stdout.trim();
    const sup = await supervisorPid();
    assert.match(sup, /^\d+$/);
    const agent = (await pool.exec(host, `cat /proc/${sup}/task/${sup}/children`)).stdout.trim().split(/\s+/)[0];
    assert.match(agent ?? '', /^\d+$/);
    // events up to here are not about this kill; the host pool would hand a replacement the same address
    const autoscalerBefore = (await status()).autoscaler;
    assert.ok(autoscalerBefore, 'status reports the autoscaler');
    const lastSeq = Math.max(-1, ...autoscalerBefore.events.map((e) => e.seq));
    process.kill(Number(agent), 'SIGKILL');
    await until(`the restarted agent (supervisor ${sup}, killed agent ${agent})`, 30_000, async () => {
      const r = await pool.exec(host, `cat /proc/${sup}/task/${sup}/children; tail -n 3 .raylaunch/clusters/lc/logs/${worker}.log`);
      const now = r.stdout.trim().split(/\s+/)[0];
      if (now && now !== agent && /^\d+$/.test(now)) return now;
      throw new Error(r.stdout + r.stderr);
    });
    await until('the worker to be alive again', 30_000, async () => ((await aliveWorkers()).includes(worker ?? '') ? true : undefined));
    const log = (await pool.exec(host, `cat .raylaunch/clusters/lc/logs/${worker}.log`)).stdout;
    assert.match(log, /agent exited \(SIGKILL\); restarting/);
    // the same supervisor brought it back: the node was not torn down and set up again
    assert.equal(await supervisorPid(), sup, 'the supervisor on the host is the one from before the kill');
    assert.equal((await pool.exec(host, `test -d /proc/${sup}`)).code, 0, `supervisor ${sup} still runs`);
    const autoscalerAfter = (await status()).autoscaler;
    assert.ok(autoscalerAfter, 'status reports the autoscaler');
    const replaced = autoscalerAfter.events.filter((e) => e.seq > lastSeq && e.kind === 'terminate' && e.message.startsWith(`terminate ${worker}:`));
    assert.deepEqual(replaced, [], 'the autoscaler did not terminate the node whose agent was killed');
  });

  it('down --workers-only keeps the head; --keep-min-workers keeps min_workers, without it they come back', async () => {
    const before = await aliveWorkers();
    assert.equal(before.length, 1);
    const keep = await cluster.cli(['down', cluster.configFile, '--workers-only', '--keep-min-workers', '--json']);
    assert.equal(keep.code, 0, keep.stderr);
    assert.deepEqual((JSON.parse(keep.stdout) as { terminated: string[] }).terminated, []);
    const all = await cluster.cli(['down', cluster.configFile, '--workers-only', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual((JSON.parse(all.stdout) as { terminated: string[] }).terminated, before);
    await until('min_workers to be back', 60_000, async () => ((await aliveWorkers()).length === 1 ? true : undefined));
    assert.ok((await status()).nodes.some((n) => n.kind === 'head' && n.state === 'ALIVE'));
  });

  it('refuses a host whose key changed, naming both fingerprints', async () => {
    await pool.rekey(head);
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /host key/i);
    assert.equal((r.stderr.match(/SHA256:[\w+/]{43}/g) ?? []).length >= 2, true, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    // Reset the pin as the message says, so the cluster can be taken down.
    execFileSync('ssh-keygen', ['-R', head.ip, '-f', join(cluster.home, 'clusters', 'lc', 'known_hosts')], { stdio: 'ignore' });
  });

  it('down leaves no raylaunch process on any host', async () => {
    const r = await cluster.cli(['down', cluster.configFile]);
    assert.equal(r.code, 0, r.stderr);
    for (const h of pool.hosts) assert.deepEqual(await raylaunchPids(pool, h), [], `raylaunch processes left on ${h.ns}`);
    assert.equal(readFileSync(join(cluster.home, 'clusters', 'lc', 'known_hosts'), 'utf8').includes(head.ip), true, 'pins are kept');
  });
});

describe('a local cluster whose worker cannot be set up', function () {
  this.timeout(120_000);
  if (!testHostsOrFail()) return;
  let pool: TestHostPool;
  let cluster: TestCluster;

  before(async () => {
    pool = await createHosts(2);
    const [head, worker] = pool.hosts as [TestHost, TestHost];
    cluster = localCluster('lcfail', pool, head, [worker], { min_workers: 1, max_workers: 1, worker_setup_commands: ['echo "fetching weights"; echo "no space left on device" >&2; exit 3'] });
  });
  after(async () => {
    try {
      await cluster?.stop();
    } finally {
      await pool?.remove();
    }
  });

  it('up fails after the retries with the node, the command, its exit code and its last lines', async () => {
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /a min_workers node could not be set up: setting up 10\.200\.0\.\d+ failed: `echo "fetching weights"; .*` failed on 10\.200\.0\.\d+ with exit code 3/);
    assert.match(r.stderr, /no space left on device/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('down with hosts that cannot be reached', function () {
  this.timeout(180_000);
  if (!testHostsOrFail()) return;
  let pool: TestHostPool;
  let cluster: TestCluster;
  let head: TestHost;
  let worker: TestHost;

  before(async () => {
    pool = await createHosts(2);
    [head, worker] = pool.hosts as [TestHost, TestHost];
    cluster = localCluster('lcdown', pool, head, [worker], { min_workers: 1, max_workers: 1 });
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await pool?.restore(head).catch(() => undefined);
    await pool?.restore(worker).catch(() => undefined);
    try {
      await cluster?.stop();
    } finally {
      await pool?.remove();
    }
  });

  it('an unreachable head: down fails, says so, and keeps the cluster so it can be run again', async () => {
    await pool.cut(head);
    try {
      const r = await cluster.cli(['down', cluster.configFile], 120_000);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`cannot reach the head ${head.ip.replace(/\./g, '\\.')} of cluster lcdown to stop it`));
      assert.match(r.stderr, /run raylaunch down -c lcdown again once the head can be reached/);
    } finally {
      await pool.restore(head);
    }
    const status = await cluster.cli(['status', cluster.configFile]);
    assert.equal(status.code, 0, 'the cluster is still known and reachable');
  });

  it('an unreachable worker: down stops the rest, exits 1 naming it, and a second down finishes the job', async () => {
    await pool.cut(worker);
    try {
      const r = await cluster.cli(['down', cluster.configFile], 120_000);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`could not be reached[^]*${worker.ip.replace(/\./g, '\\.')}`));
      assert.deepEqual(await raylaunchPids(pool, head), [], 'the head is stopped');
    } finally {
      await pool.restore(worker);
    }
    const again = await cluster.cli(['down', cluster.configFile], 120_000);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    for (const h of pool.hosts) assert.deepEqual(await raylaunchPids(pool, h), [], `raylaunch left on ${h.ns}`);
    assert.equal((await pool.exec(head, 'ls .raylaunch/clusters/lcdown/')).stdout.includes('token'), false, 'the token is gone from the head');
  });
});
