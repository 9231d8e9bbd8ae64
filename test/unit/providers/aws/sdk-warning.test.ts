// The SDK's NodeVersionSupportWarning on Node.js 20 is not shown to users: loadAws() silences it before it makes
// its clients, in a process whose environment does not (a child, so this process's own state does not matter).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'mocha';

const SCRIPT = `
import { loadAws } from './providers/aws/sdk.ts';
const c = await loadAws({ type: 'aws', region: 'us-west-2', availability_zone: null, cache_stopped_nodes: false, use_internal_ips: false });
c.destroy();
process.stdout.write('loaded ' + String(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED));
`;

/** A child's environment with no AWS variable of this machine, IMDS off, and the warning's variable as given. */
function env(warningVar: string | undefined): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  e.AWS_EC2_METADATA_DISABLED = 'true';
  e.AWS_CONFIG_FILE = '/dev/null';
  e.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
  if (warningVar !== undefined) e.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = warningVar;
  return e;
}

describe('the AWS SDK\'s Node.js version warning', () => {
  const major = Number(process.versions.node.split('.')[0]);
  const CASES: [string, string | undefined, boolean][] = [
    ['is silenced by loadAws when the user set nothing', undefined, false],
    ['is shown when the user asks for it (the variable set to false)', 'false', true],
  ];
  for (const [name, value, shown] of CASES) {
    it(name, function () {
      if (major >= 22) this.skip(); // the SDK warns only below Node.js 22
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { env: env(value), encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^loaded /);
      assert.equal(/NodeVersionSupportWarning/.test(r.stderr), shown, r.stderr);
    });
  }
});
