import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { JobTypecheckError } from '../../../src/launcher/errors.js';
import { formatDiagnostics, planTypecheck, type TsSetup, typecheckHint } from '../../../src/launcher/typecheck.js';

const setup = (o: Partial<TsSetup>): TsSetup => ({ jobDir: '/p/src', project: undefined, packageDir: undefined, tsc: undefined, ...o });
const TSC = '/p/node_modules/typescript/bin/tsc';

describe('whether and how submit type-checks a job', () => {
  const cases: [string, boolean | undefined, Partial<TsSetup>, ReturnType<typeof planTypecheck>][] = [
    ['no flag and no tsconfig.json: nothing to do', undefined, { tsc: TSC }, { kind: 'skip' }],
    ['--no-typecheck wins over a tsconfig.json', false, { project: '/p', tsc: TSC }, { kind: 'skip' }],
    ['a tsconfig.json implies tsc -p on its folder', undefined, { project: '/p', tsc: TSC },
      { kind: 'run', tsc: TSC, args: ['--noEmit', '--pretty', 'false', '-p', '/p'], what: 'tsc --noEmit -p /p' }],
    ['--typecheck without a tsconfig.json checks the job with the README\'s settings', true, { tsc: TSC },
      { kind: 'run', tsc: TSC, args: ['--noEmit', '--pretty', 'false', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'job.ts'], what: 'tsc --noEmit --strict job.ts' }],
    ['a tsconfig.json without TypeScript: a warning naming where to install it', undefined, { project: '/p', packageDir: '/p' },
      { kind: 'warn', message: 'warning: /p/tsconfig.json is there, but no TypeScript is installed for job.ts: it is sent without a type check\nhint: run npm install --save-dev typescript in /p (or pass --no-typecheck)\n' }],
  ];
  for (const [name, flag, s, want] of cases) {
    it(name, () => assert.deepEqual(planTypecheck('job.ts', flag, setup(s)), want));
  }

  const missing: [string, Partial<TsSetup>, string][] = [
    ['in the project', { project: '/p/src', packageDir: '/p' }, '/p/src'],
    ['in the nearest package.json\'s folder', { packageDir: '/p' }, '/p'],
    ['in the job\'s folder', {}, '/p/src'],
  ];
  for (const [name, s, dir] of missing) {
    it(`--typecheck without TypeScript is an error: install it ${name}`, () => {
      assert.throws(() => planTypecheck('job.ts', true, setup(s)), (e: Error) => e instanceof JobTypecheckError && e.exitCode === 1
        && e.hint === `run npm install --save-dev typescript in ${dir}` && e.message.includes(`none in ${dir} or a parent's node_modules`));
    });
  }

  it('tsc\'s file(line,col) becomes file:line:col; other lines stay', () => {
    assert.equal(formatDiagnostics("src/job.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n  more detail (1,2)\n"),
      "src/job.ts:3:7: error TS2322: Type 'string' is not assignable to type 'number'.\n  more detail (1,2)");
  });

  it('not finding raylaunch\'s types says how to install them; other errors say how to skip the check', () => {
    assert.match(typecheckHint("job.ts:1:22: error TS2307: Cannot find module 'raylaunch' or its corresponding type declarations.", '/opt/raylaunch'),
      /npm install --save-dev \/opt\/raylaunch/);
    assert.equal(typecheckHint('job.ts:1:7: error TS2322: …', '/opt/raylaunch'), 'fix them, or pass --no-typecheck to send the job as it is');
  });
});
