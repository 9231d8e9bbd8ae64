import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';
import { canMakeHosts, cleanLeftovers, createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { isAlive, run, type RunResult } from '../../helpers/hosts/system.js';
import { until } from '../../helpers/until.js';

const ssh = (pool: TestHostPool, h: TestHost, command: string, extra: string[] = []): Promise<RunResult> =>
  run(
    'ssh',
    ['-i', pool.keyPath, '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', ...extra, `root@${h.ip}`, command],
    { timeoutMs: 15_000 },
  );

const hostKey = async (h: TestHost): Promise<string> => {
  const r = await run('ssh-keyscan', ['-t', 'ed25519', '-T', '3', h.ip]);
  const key = r.stdout.split('\n').find((l) => l.startsWith(`${h.ip} ssh-ed25519 `));
  assert.ok(key, `ssh-keyscan ${h.ip} gave no ed25519 key: ${r.stderr}`);
  return key;
};

const nsExists = (ns: string): boolean => existsSync(join('/run/netns', ns));


/** A process that owns one host and is then SIGKILLed, as a crashed test run would be. */
async function crashedOwner(): Promise<{ host: TestHost; pids: number[] }> {
  const cli = fileURLToPath(new URL('../../helpers/hosts/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'up', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // 'close', not 'exit': by then both pipes are drained, so all of the JSON is in `out`.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await until('the CLI to print its host', 60_000, () => (err.includes('host(s) up') || child.exitCode !== null ? true : undefined));
    assert.equal(child.exitCode, null, `cli.ts up 1 failed:\n${err}`);
  } finally {
    child.kill('SIGKILL');
    await closed;
  }
  const host = (JSON.parse(out) as { hosts: TestHost[] }).hosts[0];
  assert.ok(host);
  return { host, pids: (await run('ip', ['netns', 'pids', host.ns])).stdout.split(/\s+/).filter(Boolean).map(Number) };
}

if (!canMakeHosts()) {
  describe('test hosts', () => {
    it('can be made on this machine', () => {
      assert.fail('the test hosts must run as root on Linux with openssh-server (/usr/sbin/sshd), iproute2 and util-linux installed (CI runs as root)');
    });
  });
} else {
  describe('test hosts (sshd in network namespaces)', function () {
    this.timeout(90_000);
    let pool: TestHostPool;
    let a: TestHost;
    let b: TestHost;

    before(async () => {
      pool = await createHosts(2);
      [a, b] = pool.hosts as [TestHost, TestHost];
    });
    after(async () => {
      await pool?.remove();
    });

    it('answers ssh as root with the pool key and reports its own hostname', async () => {
      const results = await Promise.all(pool.hosts.map((h) => ssh(pool, h, 'hostname')));
      assert.deepEqual(
        results.map((r) => [r.code, r.stdout.trim()]),
        pool.hosts.map((h) => [0, h.hostname]),
      );
      assert.match(a.hostname, /^rl-h\d+$/);
      assert.equal(a.ip, `10.200.0.${a.n}`);
    });

    it('gives each host a home of its own, bind-mounted over /root', async () => {
      const marker = `marker-${process.pid}-${Date.now()}`;
      assert.equal((await ssh(pool, a, `echo hello > ~/${marker}`)).code, 0);
      assert.equal(readFileSync(join(a.home, marker), 'utf8'), 'hello\n');
      assert.equal((await ssh(pool, b, `test -e ~/${marker}`)).code, 1, 'the file is not in the other host');
      assert.equal(existsSync(join('/root', marker)), false, "the machine's own /root is untouched");
    });

    it('exec runs inside the host: its hostname, address, /root and exit code', async () => {
      const r = await pool.exec(a, 'hostname; pwd; ip -4 -o addr show eth0; ip route get 192.0.2.1 2>&1; exit 3');
      assert.equal(r.code, 3);
      const [hostname, pwd, addr, route] = r.stdout.split('\n');
      assert.equal(hostname, a.hostname);
      assert.equal(pwd, '/root');
      assert.match(addr ?? '', new RegExp(`inet ${a.ip.replaceAll('.', '\\.')}/24`));
      assert.match(route ?? '', /unreachable/, 'no route leads out of the test subnet');
    });

    it('lists the processes running on a host, without its sshd', async () => {
      const started = await ssh(pool, a, 'nohup sleep 60 >/dev/null 2>&1 & echo $!');
      const sleeper = Number(started.stdout.trim());
      assert.ok(sleeper > 0, started.stderr);
      const pids = await pool.pids(a);
      assert.ok(pids.includes(sleeper), `${sleeper} in ${pids.join(',')}`);
      const cmdline = (pid: number): string => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return ''; // a session process that ended meanwhile
        }
      };
      const listener = pids.filter((pid) => cmdline(pid).startsWith('/usr/sbin/sshd\0-D'));
      assert.deepEqual(listener, []);
      process.kill(sleeper, 'SIGKILL');
      await until('the sleeper to go', 30_000, async () => ((await pool.pids(a)).includes(sleeper) ? undefined : true));
    });

    it('times out while cut and answers again after restore', async () => {
      await pool.cut(b);
      try {
        const r = await ssh(pool, b, 'true', ['-o', 'ConnectTimeout=1']);
        assert.equal(r.code, 255);
        // a cut host drops packets: ssh runs into its connect timeout, not "no route" or "refused" at once
        assert.match(r.stderr, /timed out/i);
        assert.doesNotMatch(r.stderr, /no route|refused/i);
      } finally {
        await pool.restore(b);
      }
      assert.equal((await ssh(pool, b, 'hostname')).stdout.trim(), b.hostname);
    });

    it('rekey gives the host a new host key on the same address', async () => {
      const before = await hostKey(a);
      await pool.rekey(a);
      const after = await hostKey(a);
      assert.notEqual(after, before);
      assert.equal((await ssh(pool, a, 'hostname')).stdout.trim(), a.hostname);
      assert.equal((await pool.exec(a, 'hostname')).stdout.trim(), a.hostname, 'exec follows the new sshd');
    });

    it('numbers hosts apart when pools are made concurrently', async () => {
      const pools = await Promise.all([createHosts(2), createHosts(2)]);
      try {
        const numbers = [...pool.hosts, ...pools.flatMap((p) => p.hosts)].map((h) => h.n);
        assert.equal(new Set(numbers).size, numbers.length, numbers.join(','));
      } finally {
        await Promise.all(pools.map((p) => p.remove()));
      }
    });

    it('remove() leaves no namespace, process, link or folder, and can be repeated', async () => {
      const p = await createHosts(1);
      const h = p.hosts[0] as TestHost;
      assert.equal((await ssh(p, h, 'nohup sleep 60 >/dev/null 2>&1 &')).code, 0);
      const pids = (await run('ip', ['netns', 'pids', h.ns])).stdout.split(/\s+/).filter(Boolean).map(Number);
      assert.ok(pids.length >= 2, 'sshd and the sleeper');
      await p.remove();
      assert.equal(nsExists(h.ns), false);
      assert.deepEqual(pids.filter(isAlive), []);
      assert.notEqual((await run('ip', ['link', 'show', `rl-v${h.n}`])).code, 0);
      assert.equal(existsSync(h.dir), false);
      await p.remove();
    });

    it('setup tears down hosts whose owner died, and leaves live owners alone', async () => {
      const left = await crashedOwner();
      assert.ok(nsExists(left.host.ns), 'the crashed owner left its host');
      assert.ok(left.pids.some(isAlive), 'and its sshd');
      const removed = await cleanLeftovers();
      assert.ok(removed.includes(left.host.ns), removed.join(','));
      assert.equal(nsExists(left.host.ns), false);
      assert.equal(existsSync(left.host.dir), false);
      await until('the leftover sshd to go', 30_000, () => (left.pids.some(isAlive) ? undefined : true));
      for (const h of pool.hosts) assert.ok(nsExists(h.ns), `${h.ns} of this live process stays`);
      assert.equal((await ssh(pool, b, 'hostname')).code, 0);
    });
  });
}
