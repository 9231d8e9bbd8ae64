import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'mocha';
import { parseProbe, shq, startDaemonCommand } from '../../../src/updater/remote.js';

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

  it('starts the daemon detached, with the token only as a file path', () => {
    const cmd = startDaemonCommand({ cluster: 'c', nodeId: '10.0.0.2', kind: 'worker', nodeType: 'cpu', runtimeRel: '.raylaunch/runtime/0.1.0-abc', nodeIp: '10.0.0.2', headAddress: '10.0.0.1:6380' });
    assert.match(cmd, /setsid node /);
    assert.match(cmd, /<\/dev\/null >>"\$D\/logs\/10\.0\.0\.2\.log" 2>&1 &\n/);
    execFileSync('sh', ['-n', '-c', cmd]); // parses
    assert.match(cmd, /RAYLAUNCH_TOKEN_FILE="\$D\/token"/);
  });
});
