// SshRunner against real sshd "machines" (network namespaces, test/helpers/hosts/hosts.ts): commands, channels, files,
// host-key pinning, connect retries and port forwarding.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { HostKeyMismatchError, SshConnectError } from '../../../src/updater/errors.js';
import { fingerprint, lookup, parsePublicKey } from '../../../src/updater/known-hosts.js';
import type { SshTarget } from '../../../src/updater/runner.js';
import { SshPool, SshRunner, type SshRunnerOptions } from '../../../src/updater/ssh/pool.js';
import { until } from '../../helpers/until.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

/** Runs a local program, bounded; resolves with its exit code and output. */
function local(file: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, out: stdout + stderr });
    });
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('SshRunner (real sshd hosts)', function () {
  this.timeout(60_000);
  if (!testHostsOrFail()) return;
  let pool: TestHostPool;
  let dir: string;
  let main: TestHost;
  let keyed: TestHost;
  let flaky: TestHost;
  let dropped: TestHost;
  const opened: SshRunner[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raylaunch-ssh-'));
    pool = await createHosts(4);
    [main, keyed, flaky, dropped] = pool.hosts as [TestHost, TestHost, TestHost, TestHost];
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((r) => r.close()));
  });

  after(async () => {
    await pool?.remove();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  let files = 0;
  /** A target with a known_hosts file of its own (so tests do not share pins) unless one is given. */
  const target = (h: TestHost, o: Partial<SshTarget> = {}): SshTarget => ({
    host: h.ip,
    user: pool.user,
    privateKeyPath: pool.keyPath,
    knownHostsPath: join(dir, `kh-${++files}`, 'known_hosts'),
    ...o,
  });
  const runner = (t: SshTarget, o: SshRunnerOptions = {}): SshRunner => {
    const r = new SshRunner(t, { connectTimeoutMs: 15_000, ...o });
    opened.push(r);
    return r;
  };
  const hostKeyLine = (h: TestHost): string => readFileSync(join(h.dir, 'hostkey.pub'), 'utf8');

  describe('commands', () => {
    it('streams stdout and stderr as they come and returns the exit code', async () => {
      const r = runner(target(main));
      const out: string[] = [];
      const err: string[] = [];
      // "two" is printed only once this side has received "one" and answered on stdin: it cannot come in one piece
      const gate = new PassThrough();
      let answered = false;
      const res = await r.run('hostname; echo one; echo oops >&2; timeout 30 head -n 1 >/dev/null; echo two; exit 3', {
        stdin: gate,
        onStdout: (b) => {
          out.push(b.toString());
          if (!answered && out.join('').includes('one\n')) {
            answered = true;
            gate.end('go\n');
          }
        },
        onStderr: (b) => err.push(b.toString()),
      });
      assert.equal(res.code, 3);
      assert.equal(res.stdout, `${main.hostname}\none\ntwo\n`);
      assert.equal(res.stderr, 'oops\n');
      assert.equal(out.join(''), res.stdout);
      assert.ok(out.length >= 2, 'output arrived in pieces, not at the end');
      assert.equal(err.join(''), 'oops\n');
    });

    it('runs 20 commands at once on one connection, at most 8 at a time', async () => {
      const r = runner(target(main));
      await pool.exec(main, 'rm -rf /root/conc /root/conc-go && mkdir /root/conc');
      // each command counts the commands running beside it (marker files), then holds its slot until the test has
      // seen eight running at once: the cap shows without timing
      const all = Promise.all(Array.from({ length: 20 }, (_, i) => r.run(
        `touch /root/conc/${i} && ls /root/conc | wc -l && n=0 && until [ -e /root/conc-go ] || [ $n -ge 600 ]; do sleep 0.1; n=$((n+1)); done && rm /root/conc/${i}`,
      )));
      all.catch(() => undefined); // awaited below; this only keeps a failed wait from leaving it unhandled
      try {
        await until('eight commands running at once', 30_000, async () => (Number((await pool.exec(main, 'ls /root/conc | wc -l')).stdout.trim()) >= 8 ? true : undefined));
      } finally {
        await pool.exec(main, 'touch /root/conc-go');
      }
      const results = await all;
      for (const res of results) assert.equal(res.code, 0, res.stderr);
      const seen = results.map((res) => Number(res.stdout.trim()));
      assert.equal(Math.max(...seen), 8, 'eight at once, never more');
    });

    it('reports the exit code of commands that finish at once', async () => {
      // their whole reply can arrive with the exec confirmation, before anyone listens for it
      const r = runner(target(main));
      const codes = await Promise.all(Array.from({ length: 40 }, (_, i) => r.run(`exit ${i % 5}`).then((res) => res.code)));
      assert.deepEqual(codes, Array.from({ length: 40 }, (_, i) => i % 5));
    });

    it('pipes a tar stream into stdin', async () => {
      const src = join(dir, 'tree');
      mkdirSync(join(src, 'sub'), { recursive: true });
      writeFileSync(join(src, 'a.txt'), 'alpha');
      writeFileSync(join(src, 'sub', 'b.txt'), 'beta');
      const tar = spawn('tar', ['-cf', '-', '-C', src, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const r = runner(target(main));
      const res = await r.run('rm -rf /root/tree && mkdir -p /root/tree && tar -xf - -C /root/tree && ls -R /root/tree && cat /root/tree/sub/b.txt', { stdin: tar.stdout });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /a\.txt/);
      assert.match(res.stdout, /sub:\nb\.txt/);
      assert.match(res.stdout, /beta$/);
    });

    it('sends a string to stdin and closes it', async () => {
      const res = await runner(target(main)).run('wc -c; cat', { stdin: 'héllo\n' });
      assert.equal(res.code, 0);
      assert.equal(res.stdout, '7\n');
    });

    it('ends a command that outruns timeoutMs with 124, processes included, and reports a signal as 128 + n', async () => {
      const r = runner(target(main));
      // a root login: sshd ignores SSH signal requests there, so this also covers the other way of ending it
      assert.equal((await r.run('sleep 31.5 & sleep 32.5; wait', { timeoutMs: 300 })).code, 124);
      await until('the timed-out command and its children to be gone', 30_000, async () => {
        const left = (await pool.exec(main, "pgrep -f '^sleep 3[12][.]5$' || true")).stdout.trim();
        if (left === '') return true;
        throw new Error(`still running: ${left.replace(/\n/g, ' ')}`);
      });
      assert.equal((await r.run('kill -TERM $$')).code, 128 + 15);
    });

    it('merges stderr into stdout with a pty', async () => {
      const res = await runner(target(main)).run('tty >/dev/null && echo has-tty; echo err >&2', { pty: true });
      assert.equal(res.code, 0);
      assert.match(res.stdout, /has-tty\r?\n/);
      assert.match(res.stdout, /err/);
    });

    it('reconnects once when the connection dropped since the last command', async () => {
      const r = runner(target(dropped));
      assert.equal((await r.run('true')).code, 0);
      // end our session's sshd process on the host: the connection drops under the runner
      const sessions = (await pool.pids(dropped)).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sshd:');
        } catch {
          return false;
        }
      });
      assert.ok(sessions.length > 0, 'found the session process');
      for (const pid of sessions) process.kill(pid, 'SIGKILL');
      const res = await r.run('echo again');
      assert.equal(res.code, 0);
      assert.equal(res.stdout, 'again\n');
    });
  });

  describe('files', () => {
    it('writes a file with its mode, creating private parents, and replaces it atomically', async () => {
      const r = runner(target(main));
      await r.writeFile('~/secrets/deep/token', 'first', 0o600);
      await r.writeFile('~/secrets/deep/token', 's3cret', 0o600);
      await r.writeFile('/root/bin/run.sh', '#!/bin/sh\necho ran\n', 0o755);
      const check = await pool.exec(main, 'stat -c %a secrets/deep/token secrets bin/run.sh; cat secrets/deep/token; echo; ls -A secrets/deep; bin/run.sh');
      assert.equal(check.stdout, '600\n700\n755\ns3cret\ntoken\nran\n', check.stderr);
    });

    it('writes binary content unchanged', async () => {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      await runner(target(main)).writeFile('bin.dat', bytes, 0o644);
      const res = await pool.exec(main, 'sha256sum bin.dat');
      const expected = execFileSync('sha256sum', { input: Buffer.from(bytes), encoding: 'utf8' }).split(' ')[0];
      assert.equal(res.stdout.split(' ')[0], expected);
    });
  });

  describe('host keys', () => {
    const sshArgs = (t: SshTarget): string[] => [
      '-o', `UserKnownHostsFile=${t.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=5', '-i', pool.keyPath, `${t.user}@${t.host}`, 'true',
    ];

    it('pins the key on first use; the system ssh then trusts the host through that file; a new key is refused', async () => {
      const t = target(keyed);
      const before = fingerprint(parsePublicKey(hostKeyLine(keyed)));
      assert.equal((await runner(t).run('true')).code, 0);
      assert.deepEqual((await lookup(t.knownHostsPath, keyed.ip, 22)).map(fingerprint), [before]);
      const ssh = await local('ssh', sshArgs(t));
      assert.equal(ssh.code, 0, ssh.out);
      const file = join(dir, 'rsynced.txt');
      writeFileSync(file, 'via rsync');
      const sshCommand = sshArgs(t).slice(0, -2).join(' ');
      const rsync = await local('rsync', ['-a', '-e', `ssh ${sshCommand}`, file, `${t.user}@${t.host}:/root/`]);
      assert.equal(rsync.code, 0, rsync.out);
      assert.equal((await pool.exec(keyed, 'cat rsynced.txt')).stdout, 'via rsync');

      await pool.rekey(keyed);
      const after = fingerprint(parsePublicKey(hostKeyLine(keyed)));
      const waits: string[] = [];
      const e = await rejection(runner(t, { onWait: (w) => waits.push(w) }).run('true'));
      assert.ok(e instanceof HostKeyMismatchError, String(e));
      assert.deepEqual(e.pinned, [before]);
      assert.equal(e.offered, after);
      assert.ok(e.message.includes(before) && e.message.includes(after), e.message);
      assert.ok(e.message.includes(t.knownHostsPath));
      assert.match(e.hint ?? '', new RegExp(`ssh-keygen -R ${keyed.ip.replace(/\./g, '\\.')} -f`));
      assert.deepEqual(waits, [], 'a mismatch is not retried');
      // the pin stayed as it was, and the system ssh refuses the new key too
      assert.deepEqual((await lookup(t.knownHostsPath, keyed.ip, 22)).map(fingerprint), [before]);
      assert.notEqual((await local('ssh', sshArgs(t))).code, 0);
    });

    it('accepts only the key the provider reported, and pins it', async () => {
      const other = join(dir, 'other-key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const wrong = target(keyed, { expectedHostKey: readFileSync(`${other}.pub`, 'utf8') });
      const e = await rejection(runner(wrong).run('true'));
      assert.ok(e instanceof HostKeyMismatchError, String(e));
      assert.equal(e.offered, fingerprint(parsePublicKey(hostKeyLine(keyed))));
      assert.deepEqual(await lookup(wrong.knownHostsPath, keyed.ip, 22), []);

      const right = target(keyed, { expectedHostKey: hostKeyLine(keyed) });
      assert.equal((await runner(right).run('true')).code, 0);
      assert.deepEqual(await lookup(right.knownHostsPath, keyed.ip, 22), [parsePublicKey(hostKeyLine(keyed))]);
    });
  });

  describe('connecting', () => {
    it('gives up on a cut host after connectTimeoutMs, telling each wait why', async () => {
      await pool.cut(flaky);
      try {
        const waits: string[] = [];
        const e = await rejection(runner(target(flaky), { connectTimeoutMs: 1500, onWait: (w) => waits.push(w) }).run('true'));
        assert.ok(e instanceof SshConnectError, String(e));
        assert.equal(e.reason, 'timeout');
        assert.equal(e.host, flaky.ip);
        assert.match(e.message, new RegExp(`cannot connect to root@${flaky.ip.replace(/\./g, '\\.')}:22: timed out`));
        assert.ok(waits.length > 0 && waits.every((w) => w === 'timed out'), waits.join(', '));
      } finally {
        await pool.restore(flaky);
      }
    });

    it('connects on a retry when the host comes up after the connect began', async () => {
      await pool.cut(flaky);
      const waits: string[] = [];
      // short attempts; the host comes back only once one of them has failed
      const r = runner(target(flaky), { onWait: (w) => waits.push(w), readyTimeoutMs: 800 });
      const result = r.run('hostname');
      result.catch(() => undefined); // awaited below; this only keeps a failed wait from leaving it unhandled
      try {
        await until('a connect attempt to the cut host to fail', 30_000, () => (waits.length > 0 ? true : undefined));
      } finally {
        await pool.restore(flaky);
      }
      const res = await result;
      assert.equal(res.stdout, `${flaky.hostname}\n`);
      assert.ok(waits.length > 0, 'at least one attempt failed first');
    });

    it('reports a refused port as such', async () => {
      const waits: string[] = [];
      // long enough for several refused attempts (100, 200, 400 ms apart) even when each is slow to come back
      const e = await rejection(runner(target(main, { port: 2222 }), { connectTimeoutMs: 5000, onWait: (w) => waits.push(w) }).run('true'));
      assert.ok(e instanceof SshConnectError);
      assert.equal(e.reason, 'refused');
      assert.match(e.message, /:2222: connection refused \(sshd not running yet\?\)/);
      assert.ok(waits.length > 1 && waits.every((w) => w === 'connection refused'), waits.join(', '));
    });

    it('stops retrying a refused key after two retries', async () => {
      const stranger = join(dir, 'stranger-key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
      const waits: string[] = [];
      const e = await rejection(runner(target(main, { privateKeyPath: stranger }), { onWait: (w) => waits.push(w) }).run('true'));
      assert.ok(e instanceof SshConnectError);
      assert.equal(e.reason, 'auth');
      assert.deepEqual(waits, ['authentication failed', 'authentication failed']);
      assert.match(e.hint ?? '', /authorized_keys/);
      assert.ok(!e.message.includes(readFileSync(stranger, 'utf8').split('\n')[1] ?? '?'), 'no key material in the message');
    });
  });

  describe('forwarding and pooling', () => {
    it('reaches a server on the host\'s own loopback through the connection', async () => {
      const script = "require('net').createServer(s=>s.end('hi')).listen(9999,'127.0.0.1')";
      const started = await pool.exec(main, `nohup ${process.execPath} -e "${script}" >/dev/null 2>&1 & echo $!`);
      const pid = Number(started.stdout.trim());
      assert.ok(pid > 0, started.stderr);
      const r = runner(target(main));
      const fwd = await r.forward('127.0.0.1', 9999);
      try {
        const read = (): Promise<string> =>
          new Promise((resolve) => {
            const s = connect(fwd.localPort, '127.0.0.1');
            let got = '';
            s.on('data', (d) => (got += d.toString()));
            s.on('close', () => resolve(got));
            s.on('error', () => resolve(got));
            s.setTimeout(2000, () => s.destroy());
          });
        // the server takes a moment to listen; until then the forwarded connection closes empty
        const got = await until('the server on the host to answer through the forward', 30_000, async () => (await read()) || undefined);
        assert.equal(got, 'hi');
      } finally {
        await fwd.close();
        await pool.exec(main, `kill ${pid}`);
      }
    });

    it('hands out one runner per user@host:port and closes them all', async () => {
      const sshPool = new SshPool({ connectTimeoutMs: 15_000 });
      const t = target(main);
      const a = sshPool.runner(t);
      assert.equal(sshPool.runner({ ...t }), a);
      assert.notEqual(sshPool.runner({ ...t, port: 2222 }), a);
      assert.equal((await a.run('true')).code, 0);
      await sshPool.close();
      const e = await rejection(a.run('true'));
      assert.ok(e instanceof SshConnectError && e.reason === 'closed');
    });
  });
});
