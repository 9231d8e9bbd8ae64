import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { runCli } from '../../helpers/run-cli.js';

describe('a mistyped command (the built CLI)', () => {
  const CASES: [string[], string][] = [
    [['stauts', '-c', 'demo'], 'error: raylaunch has no command "stauts"\nhint: did you mean raylaunch status -c demo? (raylaunch --help lists every command)\n'],
    [['jobs', 'list'], 'error: raylaunch has no command "jobs list"\nhint: did you mean raylaunch job list? (raylaunch --help lists every command)\n'],
    [['logs', 'job-1'], 'error: raylaunch has no command "logs"\nhint: did you mean raylaunch job logs job-1? (raylaunch --help lists every command)\n'],
  ];
  for (const [args, stderr] of CASES) {
    it(`${args.join(' ')}: the tool's own error and hint, with what was meant, never oclif's internal name; exit 2`, async () => {
      const r = await runCli(args, { env: { RAYLAUNCH_HOME: '/nonexistent-raylaunch-home' } });
      assert.deepEqual([r.code, r.stdout, r.stderr], [2, '', stderr]);
    });
  }

  it('--help describes the job topic by what it does', async () => {
    const r = await runCli(['--help']);
    assert.match(r.stdout, /^ {2}job +Jobs of a cluster: list, status, logs, stop\.$/m);
  });
});
