import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { headInfoCommand, parseProbe, shq, startDaemonCommand } from '../../../src/updater/remote.js';

describe('remote shell lines', () => {
  for (const s of ['plain', 'with space', "it's", '$HOME', 'a"b', '`id`', '', 'x\ny']) {
    it(`shq keeps ${JSON.stringify(s)} one literal word`, () => {
      assert.equal(execFileSync('sh', ['-c', `printf %s ${shq(s)}`]).toString(), s);
    });
  }

  it('parses a probe of a host with Node, the runtime and a running daemon', () => {
    assert.deepEqual(parseProbe('node=v20.19.1\nruntime=present\nhash=abc\nconfhash=def\ndaemon=running\n'), {
      nodeMajor: 20, nodeVersion: 'v20.19.1', runtimePresent: true, appliedHash: 'abc', configHash: 'def', daemonRunning: true,
    });
  });

  it('parses a probe of a bare host', () => {
    assert.deepEqual(parseProbe('node=\nhash=\nconfhash=\n'), {
      nodeMajor: undefined, nodeVersion: '', runtimePresent: false, appliedHash: '', configHash: '', daemonRunning: false,
    });
  });

  it('starts the daemon detached, its stdin the command\'s: the node credential goes there, never into a file or the environment', () => {
    const cmd = startDaemonCommand({ cluster: 'c', nodeId: '10.0.0.2', kind: 'worker', nodeType: 'cpu', runtimeRel: '.raylaunch/runtime/0.1.0-abc', nodeIp: '10.0.0.2', headAddress: '10.0.0.1:6380' });
    assert.match(cmd, /setsid node /);
    assert.match(cmd, /<&3 3<&- >>"\$D\/logs\/"10\.0\.0\.2\.log 2>&1 &\n/);
    execFileSync('sh', ['-n', '-c', cmd]); // parses
    assert.doesNotMatch(cmd, /TOKEN|CREDENTIAL/);
  });

  it('the supervisor, started in the background, reads the credential the updater sends on stdin', () => {
    const home = mkdtempSync(join(tmpdir(), 'rl-remote-'));
    try {
      const bin = join(home, 'bin');
      mkdirSync(bin);
      // Stands in for setsid: records the first line of its stdin and its environment, then writes its pid.
      writeFileSync(join(bin, 'setsid'), '#!/bin/sh\nread c; echo "$c" > got; env > env.txt; echo $$ > supervisor.pid\n');
      chmodSync(join(bin, 'setsid'), 0o755);
      const cmd = startDaemonCommand({ cluster: 'c', nodeId: 'w', kind: 'worker', nodeType: 'cpu', runtimeRel: 'rt', nodeIp: '10.0.0.2', headAddress: '10.0.0.1:1' });
      execFileSync('sh', ['-c', cmd], { cwd: home, env: { HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` }, input: 'rln_secret\n', stdio: 'pipe' });
      const state = join(home, '.raylaunch/clusters/c');
      assert.equal(readFileSync(join(state, 'got'), 'utf8').trim(), 'rln_secret');
      assert.doesNotMatch(readFileSync(join(state, 'env.txt'), 'utf8'), /rln_secret/);
      assert.deepEqual(readdirSync(state).filter((f) => /token|credential/.test(f)), []);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('hands the head the provider\'s variables (an AWS endpoint) as literal values, and no variable with a name that is not one', () => {
    const cmd = startDaemonCommand({
      cluster: 'c', nodeId: 'h', kind: 'head', nodeType: 'head', runtimeRel: 'rt', nodeIp: '10.0.0.1', headAddress: '',
      env: { AWS_ENDPOINT_URL: 'http://10.9.0.1:4566/$(id)', 'BAD;NAME': 'x' },
    });
    assert.match(cmd, / AWS_ENDPOINT_URL='http:\/\/10\.9\.0\.1:4566\/\$\(id\)' setsid node /);
    assert.doesNotMatch(cmd, /BAD/);
    execFileSync('sh', ['-n', '-c', cmd]);
  });

  // Node ids come from providers and, on the head, from its own records: in a shell line they are values, never code.
  describe('a node id that looks like shell code stays a file name', () => {
    const ID = '$(touch ran)`touch ran2`';
    const inHome = (cmd: string): { home: string; files: string[] } => {
      const home = mkdtempSync(join(tmpdir(), 'rl-remote-'));
      const bin = join(home, 'bin');
      mkdirSync(bin);
      // Stands in for setsid: the daemon "starts" and writes its pid where the start line waits for it.
      writeFileSync(join(bin, 'setsid'), '#!/bin/sh\necho $$ > supervisor.pid\n');
      chmodSync(join(bin, 'setsid'), 0o755);
      try {
        execFileSync('sh', ['-c', cmd], { cwd: home, env: { HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` }, stdio: 'pipe' });
      } catch {
        // headInfoCommand exits 1 while there is no head.json: what matters is what it ran
      }
      const state = join(home, '.raylaunch/clusters/c');
      return { home, files: [...readdirSync(home), ...(existsSync(state) ? readdirSync(state) : [])] };
    };
    const CASES: [string, string][] = [
      ['the daemon\'s start line', startDaemonCommand({ cluster: 'c', nodeId: ID, kind: 'worker', nodeType: 'cpu', runtimeRel: 'rt', nodeIp: '10.0.0.2', headAddress: '10.0.0.1:1' })],
      ['the head.json poll of up', headInfoCommand('c', ID, 0)],
    ];
    for (const [what, cmd] of CASES) {
      it(`${what} runs nothing from the id`, () => {
        const { home, files } = inHome(cmd);
        try {
          assert.deepEqual(files.filter((f) => f.startsWith('ran')), []);
          if (what.includes('start')) assert.equal(existsSync(join(home, '.raylaunch/clusters/c/logs', `${ID}.log`)), true, 'the log is named by the id, literally');
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      });
    }
  });

  it('the head.json poll waits on the head for the file and prints it as it appears', () => {
    const home = mkdtempSync(join(tmpdir(), 'rl-remote-'));
    try {
      const bin = join(home, 'bin');
      const state = join(home, '.raylaunch/clusters/c');
      mkdirSync(bin);
      mkdirSync(state, { recursive: true });
      // The head "starts listening" during the poll's first wait.
      writeFileSync(join(bin, 'sleep'), `#!/bin/sh\necho '{"nodeId":"h"}' > ${state}/head.json\n`);
      chmodSync(join(bin, 'sleep'), 0o755);
      const out = execFileSync('sh', ['-c', headInfoCommand('c', 'h')], { env: { HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` } }).toString();
      assert.equal(out.trim(), '{"nodeId":"h"}');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
