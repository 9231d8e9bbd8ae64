// submit --env NODE_OPTIONS=… stops on the user's machine, before any cluster is contacted; --allow-node-env
// lets it through (here to "not running": no cluster runs in this test).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { runCli } from '../../helpers/run-cli.js';

describe('submit --env that changes how Node.js runs (the built CLI)', () => {
  let dir = '';
  const cluster = `nocluster${process.pid}`;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-node-env-'));
    writeFileSync(join(dir, 'job.ts'), "import { main } from 'raylaunch';\nmain(async () => {});\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const submit = (...extra: string[]) => runCli(['submit', '-c', cluster, join(dir, 'job.ts'), '--env', 'NODE_OPTIONS=--require=/tmp/evil.js', ...extra], { env: { RAYLAUNCH_HOME: join(dir, 'home') } });

  it('is a usage error that names the variable and the flag', async () => {
    const r = await submit();
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: --env NODE_OPTIONS changes how Node\.js runs the job: it adds Node\.js options/m);
    assert.match(r.stderr, /^hint: pass --allow-node-env if that is what you mean$/m);
  });

  it('goes through with --allow-node-env', async () => {
    const r = await submit('--allow-node-env');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: cluster ${cluster} is not running$`, 'm'));
  });
});
