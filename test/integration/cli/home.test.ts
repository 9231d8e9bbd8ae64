import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { REPO, runCli } from '../../helpers/run-cli.js';

describe('RAYLAUNCH_HOME that cannot be used (the built CLI)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-home-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'a-file'), '');
    mkdirSync(join(dir, 'root-only'), { mode: 0o755 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const hint = 'hint: point RAYLAUNCH_HOME at a folder you can write, or unset it to use ~/.raylaunch\n';
  const CASES: [string, () => string, (home: string) => string][] = [
    ['a file', () => join(dir, 'a-file'), (h) => `error: RAYLAUNCH_HOME (${h}) is a file, not a folder\n`],
    ['inside a file', () => join(dir, 'a-file', 'sub'), (h) => `error: RAYLAUNCH_HOME (${h}) is inside a file, not a folder\n`],
  ];
  for (const [what, home, message] of CASES) {
    it(`${what}: a clear error before the command runs, not "this is a bug"`, async () => {
      const r = await runCli(['status'], { env: { RAYLAUNCH_HOME: home() } });
      assert.deepEqual([r.code, r.stderr], [1, message(home()) + hint]);
    });
  }

  it('a folder this user cannot write: a clear error', () => {
    const home = join(dir, 'root-only');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(REPO, 'bin/run.js'), 'clusters'], {
      encoding: 'utf8', env: { ...process.env, RAYLAUNCH_HOME: home, HOME: dir }, timeout: 30_000,
    });
    assert.deepEqual([r.status, r.stderr], [1, `error: RAYLAUNCH_HOME (${home}) is not writable by this user\n${hint}`]);
  });

  it('validate needs no raylaunch folder, so it still works', async () => {
    const r = await runCli(['validate', 'example-configs/process.yaml'], { env: { RAYLAUNCH_HOME: join(dir, 'a-file') } });
    assert.equal(r.code, 0, r.stderr);
  });
});
