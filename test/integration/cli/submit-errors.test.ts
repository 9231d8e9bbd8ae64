/**
 * `submit` (and `run`) stop on the user's machine, before any cluster is contacted, when the job cannot be bundled
 * or (with --typecheck, or a tsconfig.json beside it) does not type-check — each with the file, line and what to do.
 * No cluster runs here: the config names one that is not up, so a job that gets past these checks ends at
 * "cluster … is not running".
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { copyJobFixture } from '../../helpers/job-fixtures.js';
import { REPO, runCli } from '../../helpers/run-cli.js';

const TSCONFIG = JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true } });
const TYPE_ERROR = "const n: number = 'str';\nexport { n };\n";
const NOT_RUNNING = /^error: cluster nocluster\d+ is not running$/m;

interface Case {
  /** Files under the test's folder; the job is `<jobDir>/job.*`, and the CLI runs in jobDir. */
  files: Record<string, string>;
  /** A job fixture (test/fixtures/jobs/), copied to `<jobDir>/job.ts`. */
  fixture?: string;
  jobDir?: string;
  job?: string;
  args?: string[];
  /** node_modules links in jobDir: the repo's own TypeScript, raylaunch's types. */
  typescript?: boolean;
  raylaunchTypes?: boolean;
  code: number;
  stderr: (root: string) => string | RegExp[];
}

// The jobs stay strings where they are broken on purpose (a syntax error, a missing package, an import esbuild
// cannot load, a type error for --typecheck, a .py file): as fixtures, tsc and eslint would fail on them. The two
// that type-check are fixtures.
const CASES: Record<string, Case> = {
  'a syntax error shows the line with a caret under the spot, named as submitted': {
    files: { 'job.ts': "import { main } from 'raylaunch';\n\nconst x y = 1;\nmain(async () => {});\n" },
    code: 1,
    stderr: () => 'error: job.ts:3:9: Expected ";" but found "y"\n      2 | \n    > 3 | const x y = 1;\n        |         ^\n',
  },
  'a syntax error in an imported file names that file as the user would': {
    files: { 'job.ts': "import { n } from './lib/util.js';\nconsole.log(n);\n", 'lib/util.ts': 'export const n = (1;\n' },
    code: 1,
    stderr: () => 'error: lib/util.ts:1:20: Expected ")" but found ";"\n    > 1 | export const n = (1;\n        |                    ^\n',
  },
  'a missing npm package says which folder to npm install it in (the nearest with a package.json)': {
    files: { 'package.json': '{"name":"jobs","private":true}', 'jobs/job.ts': "import leftPad from 'left-pad';\nconsole.log(leftPad('x', 3));\n" },
    jobDir: 'jobs', code: 1,
    stderr: (root) => "error: job.ts:1:21: cannot find the npm package \"left-pad\"\n    > 1 | import leftPad from 'left-pad';\n        |                     ^\n"
      + `hint: run npm install left-pad in ${root} (the nearest folder with a package.json)\n`,
  },
  'a scoped package with a subpath names the package to install': {
    files: { 'package.json': '{"name":"jobs","private":true}', 'job.ts': "import { x } from '@acme/tools/strings';\nconsole.log(x);\n" },
    code: 1,
    stderr: (root) => [/^error: job\.ts:1:19: cannot find the npm package "@acme\/tools"$/m, new RegExp(`^hint: run npm install @acme/tools in ${root} `, 'm')],
  },
  'a Python file is a usage mistake that says what submit takes': {
    files: { 'job.py': 'import ray\n' }, job: 'job.py', code: 2,
    stderr: () => 'error: job.py is a .py file; a job is a TypeScript or JavaScript module (.ts, .mts, .cts, .tsx, .js, .mjs, .cjs, .jsx)\n'
      + "hint: raylaunch runs jobs written in TypeScript against its job API (remote, get, main from 'raylaunch'); see \"Writing jobs\" in its README\n",
  },
  'importing a file type esbuild has no loader for says what a job may import': {
    files: { 'job.ts': "import data from './data.csv';\nconsole.log(data);\n", 'data.csv': 'a,b\n' },
    code: 1,
    stderr: () => [/^error: job\.ts:1:18: a job cannot import \.csv files$/m, /^hint: a job imports \.ts, .*\.json, \.txt, \.css files; read other files at run time \(upload them with --working-dir\)$/m],
  },
  '--typecheck runs the job folder\'s own TypeScript: a type error stops the job with tsc\'s file:line': {
    files: { 'job.ts': TYPE_ERROR }, args: ['--typecheck'], typescript: true, code: 1,
    stderr: () => "error: the job has type errors (tsc --noEmit --strict job.ts):\njob.ts:1:7: error TS2322: Type 'string' is not assignable to type 'number'.\n"
      + 'hint: fix them, or pass --no-typecheck to send the job as it is\n',
  },
  'a tsconfig.json up to the nearest package.json implies the check, run on that project': {
    files: { 'package.json': '{"name":"p","private":true}', 'tsconfig.json': TSCONFIG, 'src/job.ts': TYPE_ERROR },
    jobDir: 'src', typescript: true, code: 1,
    stderr: (root) => `error: the job has type errors (tsc --noEmit -p ${root}):\njob.ts:1:7: error TS2322: Type 'string' is not assignable to type 'number'.\n`
      + 'hint: fix them, or pass --no-typecheck to send the job as it is\n',
  },
  '--no-typecheck sends a job a tsconfig.json would have checked': {
    files: { 'tsconfig.json': TSCONFIG, 'job.ts': TYPE_ERROR }, args: ['--no-typecheck'], typescript: true, code: 1,
    stderr: () => [NOT_RUNNING, /^(?![\s\S]*TS2322)/],
  },
  'a job that type-checks (with raylaunch\'s types) goes on to the cluster': {
    files: { 'tsconfig.json': TSCONFIG }, fixture: 'submit-errors/type-checks.ts',
    typescript: true, raylaunchTypes: true, code: 1,
    stderr: () => [NOT_RUNNING, /^(?![\s\S]*error TS)/],
  },
  'without raylaunch\'s types installed, the hint says how to install them': {
    files: { 'tsconfig.json': TSCONFIG }, fixture: 'submit-errors/main-only.ts',
    typescript: true, code: 1,
    stderr: () => [/^job\.ts:1:22: error TS2307: Cannot find module 'raylaunch'/m, new RegExp(`^hint: install raylaunch's types in the job's folder: npm install --save-dev ${REPO.replace(/\/$/, '')} `, 'm')],
  },
  '--typecheck without TypeScript installed for the job is an error saying how to install it': {
    files: { 'job.ts': TYPE_ERROR }, args: ['--typecheck'], code: 1,
    stderr: (root) => `error: --typecheck: no TypeScript is installed for job.ts (none in ${root} or a parent's node_modules)\n`
      + `hint: run npm install --save-dev typescript in ${root}\n`,
  },
  'a tsconfig.json without TypeScript installed is a warning, and the job goes on': {
    files: { 'tsconfig.json': TSCONFIG, 'job.ts': TYPE_ERROR }, code: 1,
    stderr: (root) => [new RegExp(`^warning: ${root}/tsconfig\\.json is there, but no TypeScript is installed for job\\.ts: it is sent without a type check\\n`
      + `hint: run npm install --save-dev typescript in ${root} \\(or pass --no-typecheck\\)\\n`), NOT_RUNNING],
  },
};

describe('submit stops bad jobs on this machine (the built CLI, no cluster)', function () {
  this.timeout(60_000);
  let base: string;
  let config: string;
  const name = `nocluster${process.pid}`;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'raylaunch-submit-errors-'));
    config = join(base, 'cluster.yaml');
    writeFileSync(config, `cluster_name: ${name}\nprovider: {type: process}\n`);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  for (const [title, c] of Object.entries(CASES)) {
    it(title, async () => {
      const root = mkdtempSync(join(base, 'case-'));
      for (const [file, text] of Object.entries(c.files)) {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), text);
      }
      const jobDir = join(root, c.jobDir ?? '.');
      if (c.fixture) copyJobFixture(c.fixture, jobDir);
      const link = (pkg: string, target: string) => {
        mkdirSync(join(jobDir, 'node_modules'), { recursive: true });
        symlinkSync(target, join(jobDir, 'node_modules', pkg), 'dir');
      };
      if (c.typescript) link('typescript', join(REPO, 'node_modules', 'typescript'));
      if (c.raylaunchTypes) link('raylaunch', REPO);
      const r = await runCli(['submit', config, c.job ?? 'job.ts', ...(c.args ?? [])], { cwd: jobDir, env: { RAYLAUNCH_HOME: join(base, 'home') }, timeoutMs: 45_000 });
      assert.equal(r.code, c.code, r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace for a user mistake');
      const want = c.stderr(root);
      if (typeof want === 'string') assert.equal(r.stderr, want);
      else for (const re of want) assert.match(r.stderr, re);
    });
  }

  it('run --typecheck checks the job the same way before starting its driver', async () => {
    const root = mkdtempSync(join(base, 'run-'));
    writeFileSync(join(root, 'job.ts'), TYPE_ERROR);
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(join(REPO, 'node_modules', 'typescript'), join(root, 'node_modules', 'typescript'), 'dir');
    // No cluster at all: the job is checked before one is looked for.
    const r = await runCli(['run', 'job.ts', '--typecheck'], { cwd: root, timeoutMs: 45_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^job\.ts:1:7: error TS2322: Type 'string' is not assignable to type 'number'\.$/m);
  });
});
