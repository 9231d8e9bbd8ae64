// The Google client libraries' warnings are not the user's business: `raylaunch down` of a GCP config (which lists
// the cluster's instances over every zone and its firewall rules, both paged calls) prints no AutopaginateTrueWarning
// from google-gax. The CLI runs against the fake GCP on loopback.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { FakeGcp, InMemoryHostPool } from '../../fakes/gcp/index.js';
import { pointCliAtFake } from '../../helpers/gcp-adc.js';
import { isolateGcpEnv } from '../../helpers/gcp-env.js';
import { runCli } from '../../helpers/run-cli.js';

describe('the CLI on a GCP config prints none of the client libraries\' warnings', function () {
  this.timeout(120_000);
  let restoreEnv: () => void;
  let fake: FakeGcp;
  let dir: string;

  before(async () => {
    restoreEnv = isolateGcpEnv();
    // A page size of 1, so every paged call takes more than one page.
    fake = await FakeGcp.start({ pool: new InMemoryHostPool(['127.0.9.1']), pageSize: 1 });
    pointCliAtFake(fake);
    dir = mkdtempSync(join(tmpdir(), 'rl-gcp-warn-'));
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
    restoreEnv();
  });

  it('down lists the cluster through paged calls and stderr has no AutopaginateTrueWarning', async () => {
    // A cluster this machine knows (its config in the cluster's folder), whose head is gone: down asks GCP.
    const config = applyDefaults({ cluster_name: 'rl-warn', provider: { type: 'gcp', region: 'us-central1', availability_zone: 'us-central1-a', project_id: fake.project } });
    const home = join(dir, 'raylaunch');
    mkdirSync(join(home, 'clusters', 'rl-warn'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'clusters', 'rl-warn', 'config.json'), JSON.stringify(config));
    const r = await runCli(['down', '-y', '-c', 'rl-warn'], { cwd: dir, env: { RAYLAUNCH_HOME: home } });
    assert.ok(fake.callsOf('instances.aggregatedList').length > 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /AutopaginateTrueWarning|Autopaginate/);
  });
});
