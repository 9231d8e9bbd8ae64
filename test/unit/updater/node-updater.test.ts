import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { NodeUpdateError } from '../../../src/updater/errors-update.js';
import { NodeUpdater } from '../../../src/updater/node-updater.js';
import type { CommandRunner, RunResult } from '../../../src/updater/runner.js';

/** A node that has no Node.js until the installer ran; every command is recorded. */
function bareNode(): CommandRunner & { commands: string[] } {
  let installed = false;
  const commands: string[] = [];
  const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
  return {
    host: '10.0.0.9', commands,
    run(cmd) {
      commands.push(cmd);
      if (cmd.includes('SHASUMS256.txt')) installed = true;
      if (cmd.includes('echo "node=')) return Promise.resolve(ok(`node=${installed ? 'v20.99.0' : ''}\nhash=\nconfhash=\n`));
      return Promise.resolve(ok());
    },
    writeFile: () => Promise.resolve(),
    forward: () => Promise.reject(new Error('unused')),
    close: () => Promise.resolve(),
  };
}

const emptyDir = mkdtempSync(join(tmpdir(), 'rl-empty-runtime-'));

function updater(runner: CommandRunner, provider: Record<string, unknown>) {
  const config = applyDefaults({ cluster_name: 'n', provider, auth: { ssh_user: 'ubuntu' } });
  return new NodeUpdater({
    runner, config, node: { id: 'n1', kind: 'worker', nodeType: config.head_node_type, ip: '10.0.0.9' }, headAddress: '10.0.0.1:6380',
    // An empty runtime folder: tar of it is all the upload step needs here.
    runtime: { dir: emptyDir, version: '0.0.0', hash: 'abc' }, runtimeHash: 'h', files: {}, mountSource: (_r, l) => l, attempts: 1,
    nodeDist: { version: 'v20.99.0', baseUrl: 'http://10.0.0.1:8000', sha256: { x64: 'a'.repeat(64), arm64: 'b'.repeat(64) } },
  });
}

describe('NodeUpdater and Node.js', () => {
  after(() => rmSync(emptyDir, { recursive: true, force: true }));

  it('installs Node.js on a cloud node that lacks it, then runs every command with it first on PATH', async () => {
    const runner = bareNode();
    const r = await updater(runner, { type: 'aws', region: 'us-west-2' }).update();
    assert.equal(r.nodeVersion, 'v20.99.0');
    assert.ok(runner.commands.some((c) => c.includes('http://10.0.0.1:8000')), 'the installer ran');
    const later = runner.commands.slice(runner.commands.findIndex((c) => c.includes('SHASUMS256.txt')) + 1);
    // Commands that run node (`node --version`, `setsid node --enable-source-maps …`), not ones that only name it.
    const withNode = later.filter((c) => /(?:^|[\s;&|(])node --/.test(c));
    assert.ok(withNode.some((c) => c.includes('setsid node')), 'the daemon start is among them');
    for (const c of withNode) assert.match(c, /^PATH="\$HOME\/\.raylaunch\/node\/current\/bin:\$PATH"/, c.slice(0, 80));
  });

  it('on an on-prem host, a missing Node.js is an error that says what to install', async () => {
    const runner = bareNode();
    const err = await updater(runner, { type: 'local', head_ip: '10.0.0.1', worker_ips: ['10.0.0.9'] }).update().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof NodeUpdateError);
    assert.match(err.message, /Node\.js is not installed on 10\.0\.0\.9/);
    assert.match(err.hint ?? '', /install Node\.js 20 or newer/);
    assert.ok(!runner.commands.some((c) => c.includes('SHASUMS256.txt')), 'nothing installed on a host raylaunch does not own');
  });
});
