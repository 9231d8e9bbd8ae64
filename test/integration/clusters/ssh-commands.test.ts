// exec, attach, rsync-up/down and get-head-ip/get-worker-ips on a cluster of real sshd hosts (test/helpers/hosts), driven
// through the built CLI the way a user would.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { type CliResult, REPO, runCli } from '../../helpers/run-cli.js';
import { freePort } from '../../helpers/free-port.js';
import { EXEC_CASES } from '../../helpers/exec-cases.js';
import { assertOutput } from '../../helpers/output-schemas.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { TmuxTerminal } from '../../helpers/tmux.js';
import { until } from '../../helpers/until.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';
import { SYNC_TREE_LANDS, writeSyncTree } from '../../helpers/sync-tree.js';

const httpGet = (port: number): Promise<string> => new Promise((resolve, reject) => {
  get({ host: '127.0.0.1', port, path: '/', timeout: 5000, agent: false }, (res) => {
    let body = '';
    res.on('data', (d: Buffer) => (body += d.toString()));
    res.on('end', () => resolve(body));
  }).on('error', reject).on('timeout', () => reject(new Error('http timeout')));
});

describe('SSH commands on a cluster of test hosts (end to end)', function () {
  this.timeout(120_000);
  if (!testHostsOrFail()) return;
  const name = `sshc${process.pid}`;
  let pool: TestHostPool;
  let head: TestHost;
  let workers: TestHost[];
  let dir = '';
  let home = '';
  let cfg = '';
  const cli = (args: string[], timeoutMs = 60_000): Promise<CliResult> => runCli(args, { env: { RAYLAUNCH_HOME: home }, timeoutMs });

  before(async function () {
    this.timeout(240_000);
    pool = await createHosts(3);
    [head, ...workers] = pool.hosts as [TestHost, ...TestHost[]];
    dir = mkdtempSync(join(tmpdir(), 'raylaunch-sshc-'));
    home = join(dir, 'home');
    cfg = join(dir, 'cluster.yaml');
    writeFileSync(cfg, [
      `cluster_name: ${name}`,
      `provider: {type: local, head_ip: ${head.ip}, worker_ips: [${workers.map((w) => w.ip).join(', ')}]}`,
      `auth: {ssh_user: root, ssh_private_key: ${pool.keyPath}}`,
      'min_workers: 2',
      'max_workers: 2',
      'rsync_exclude: [build]',
      'rsync_filter: [.gitignore]',
      '',
    ].join('\n'));
    const r = await cli(['up', cfg, '-y'], 200_000);
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
  });

  after(async function () {
    this.timeout(120_000);
    if (home) await cli(['down', cfg]).catch(() => undefined);
    await pool?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exec passes stdout and stderr through unchanged and exits with the remote exit code', async () => {
    const r = await cli(['exec', cfg, 'echo out; echo err >&2; printf "no newline"; exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'out\nno newline');
    assert.equal(r.stderr, 'err\n');
  });

  for (const c of EXEC_CASES) {
    for (const [how, cluster_] of [['-c NAME', () => ['-c', name]], ['a config path', () => [cfg]]] as const) {
      it(`exec with ${how} -- ${c.title}: everything after -- is the command's`, async () => {
        const r = await cli(['exec', ...cluster_(), '--', ...c.command]);
        assert.equal(r.stderr, '');
        assert.deepEqual([r.code, r.stdout], [c.code, c.stdout]);
      });
    }
  }

  it('commands piped into attach run in the head\'s login shell, as with ssh; its exit code passes through', async () => {
    const r = await runCli(['attach', cfg], { env: { RAYLAUNCH_HOME: home }, timeoutMs: 60_000, input: 'hostname\nexit 4\n' });
    assert.deepEqual([r.code, r.stdout.trim().split('\n').at(-1), r.stderr], [4, head.hostname, '']);
  });

  it('attach --tmux with commands piped in says it needs a terminal', async () => {
    const r = await runCli(['attach', cfg, '--tmux'], { env: { RAYLAUNCH_HOME: home }, input: 'hostname\n' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --tmux needs a terminal, and stdin is not one$/m);
  });

  it('exec runs on the head, in the login user\'s home', async () => {
    const r = await cli(['exec', cfg, 'hostname; pwd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${head.hostname}\n/root\n`);
  });

  it('exec -p forwards localhost:PORT to the head\'s localhost:PORT while the command runs', async () => {
    const port = await freePort();
    // a server on the head's loopback that answers once, then exits (and with it the command)
    const server = `node -e "const s = require('http').createServer((q, r) => { r.end('served by ' + require('os').hostname()); s.close(); }); s.listen(${port}, '127.0.0.1', () => console.log('listening'))"`;
    const child = spawn(process.execPath, [join(REPO, 'bin/run.js'), 'exec', cfg, '-p', String(port), `timeout 30 ${server}`], {
      env: { ...process.env, RAYLAUNCH_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let closed: { code: number | null } | undefined;
    child.on('close', (code) => (closed = { code }));
    try {
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await until('the server on the head to listen', 20_000, () => {
        if (out.includes('listening')) return true;
        if (closed) throw new Error(`exec ended (${closed.code}) first:\n${out}\n${err}`);
        return undefined;
      });
      assert.equal(await httpGet(port), `served by ${head.hostname}`);
      const end = await until('exec to end with the server', 20_000, () => closed);
      assert.equal(end.code, 0, err);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('rsync-up then rsync-down round-trip a folder tree; .gitignored files and rsync_exclude folders stay behind', async () => {
    const src = join(dir, 'src');
    writeSyncTree(src);
    const upload = await cli(['rsync-up', cfg, `${src}/`, 'round trip/data']);
    assert.equal(upload.code, 0, upload.stderr);
    const onHead = await pool.exec(head, 'cd "round trip/data" && find . -type f | sort');
    assert.equal(onHead.stdout, SYNC_TREE_LANDS.map((f) => `./${f}\n`).join(''));
    const back = join(dir, 'back');
    const download = await cli(['rsync-down', cfg, 'round trip/data/', back]);
    assert.equal(download.code, 0, download.stderr);
    assert.equal(readFileSync(join(back, 'a', 'b', 'deep file.txt'), 'utf8'), 'deep\n');
    assert.equal(readFileSync(join(back, 'top.txt'), 'utf8'), 'top\n');
    assert.equal(existsSync(join(back, 'a', 'secret.log')), false, 'the .gitignored file stayed here');
    assert.equal(existsSync(join(back, 'build')), false, 'the rsync_exclude folder stayed here');
  });

  it('rsync-up --all-nodes copies to every worker as well as the head', async () => {
    const file = join(dir, 'everywhere.txt');
    writeFileSync(file, 'on every node\n');
    const r = await cli(['rsync-up', cfg, file, 'shared/everywhere.txt', '--all-nodes']);
    assert.equal(r.code, 0, r.stderr);
    for (const h of [head, ...workers]) {
      const got = await pool.exec(h, 'cat shared/everywhere.txt');
      assert.equal(got.stdout, 'on every node\n', `on ${h.hostname}: ${got.stderr}`);
    }
  });

  it('rsync-up of a missing local source is an error naming it', async () => {
    const missing = join(dir, 'no-such-folder');
    const r = await cli(['rsync-up', cfg, missing, 'x']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n')[0], `error: the local path ${missing} does not exist`);
  });

  it('get-head-ip prints the head\'s address and get-worker-ips each worker\'s, also as JSON', async () => {
    const h = await cli(['get-head-ip', cfg]);
    assert.equal(h.code, 0, h.stderr);
    assert.equal(h.stdout, `${head.ip}\n`);
    const w = await cli(['get-worker-ips', cfg]);
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(w.stdout.trim().split('\n').sort(), workers.map((x) => x.ip).sort());
    for (const [command, check] of [
      ['get-head-ip', (j: Record<string, unknown>) => assert.equal(j.head_ip, head.ip)],
      ['get-worker-ips', (j: Record<string, unknown>) => assert.deepEqual((j.worker_ips as string[]).sort(), workers.map((x) => x.ip).sort())],
    ] as const) {
      const r = await cli([command, '-c', name, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      assertOutput(command, json);
      check(json);
    }
  });

  it('exec --tmux leaves the command in a tmux session on the head, and attach --tmux opens it', async () => {
    assert.equal(spawnSync('tmux', ['-V']).status, 0, 'tmux is needed for this test (.ci/run installs it)');
    const started = await cli(['exec', cfg, '--tmux', 'echo started-by-exec']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /attach .* --tmux/);
    const term = new TmuxTerminal(`env RAYLAUNCH_HOME=${home} ${process.execPath} ${join(REPO, 'bin/run.js')} attach ${cfg} --tmux`);
    try {
      await term.waitFor(/started-by-exec/);
      term.type('hostname');
      await term.waitFor(new RegExp(`^${head.hostname}$`, 'm'));
    } finally {
      term.kill();
      await cli(['exec', cfg, 'tmux kill-server']);
    }
  });

  // Last: it changes the head's host key.
  it('attach and exec refuse a head whose host key changed, until its pin is removed', async () => {
    await pool.rekey(head);
    const attach = await cli(['attach', cfg]);
    assert.equal(attach.code, 255);
    assert.match(attach.stderr, /host key/i);
    const exec = await cli(['exec', cfg, 'hostname']);
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /^error: host key of .* changed/m);
    // the hint's way out, which also lets `down` in after() reach the head
    execFileSync('ssh-keygen', ['-R', head.ip, '-f', join(home, 'clusters', name, 'known_hosts')], { stdio: 'ignore' });
    const again = await cli(['exec', cfg, 'hostname']);
    assert.equal(again.stdout, `${head.hostname}\n`, again.stderr);
  });
});
