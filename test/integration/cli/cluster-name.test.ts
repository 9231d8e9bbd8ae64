// `-c NAME` names a folder under RAYLAUNCH_HOME/clusters: a name that is a path must be refused before any
// command acts on it (`down -c ../..` would take the folder above RAYLAUNCH_HOME for a cluster's).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { runCli } from '../../helpers/run-cli.js';

describe('-c NAME that is not a cluster name (the built CLI)', () => {
  let dir = '';
  let home = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-cname-'));
    home = join(dir, 'home');
    mkdirSync(join(home, 'clusters'), { recursive: true });
    // What `down -c ../..` would take for a cluster's state: the folder above RAYLAUNCH_HOME.
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ cluster_name: 'x', provider: { type: 'process' } }));
    writeFileSync(join(dir, 'token'), 'not a raylaunch token\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const CASES: [string, string[]][] = [
    ['down -c ../..', ['down', '-c', '../..', '-y']],
    ['status -c ..', ['status', '-c', '..']],
    ['exec -c a/b', ['exec', '-c', 'a/b', '--', 'true']],
    ['job list -c /tmp', ['job', 'list', '-c', '/tmp']],
    ['get-head-ip -c "-rf"', ['get-head-ip', '-c=-rf']],
  ];
  for (const [what, args] of CASES) {
    it(`${what} is refused as a usage error, and nothing outside RAYLAUNCH_HOME/clusters is touched`, async () => {
      const r = await runCli(args, { env: { RAYLAUNCH_HOME: home } });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /^error: ".*" is not a cluster name$/m);
      assert.equal(existsSync(join(dir, 'token')), true, 'the folder above RAYLAUNCH_HOME kept its files');
      assert.equal(existsSync(join(dir, 'config.json')), true);
    });
  }
});
