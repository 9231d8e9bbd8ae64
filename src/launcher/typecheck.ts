/**
 * `submit --typecheck` / `run --typecheck`: the job's own TypeScript checks it on this machine before it is sent,
 * so `const n: number = 'str'` fails here with tsc's diagnostics instead of at run time (esbuild strips types
 * without checking them). Implied when the job's folder, or a parent up to the nearest package.json, has a
 * tsconfig.json; `--no-typecheck` turns it off. The TypeScript used is the one installed for the job (its folder
 * or a parent's node_modules), never raylaunch's own: a project's compiler version and settings are its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { JobTypecheckError } from './errors.js';

/** What the disk says about the job's TypeScript setup. */
export interface TsSetup {
  jobDir: string;
  /** The folder with the tsconfig.json that covers the job, if any. */
  project: string | undefined;
  /** The nearest folder with a package.json at or above the job's folder, if any. */
  packageDir: string | undefined;
  /** tsc's script of the TypeScript installed for the job, if any. */
  tsc: string | undefined;
}

export type TypecheckPlan =
  | { kind: 'skip' }
  | { kind: 'warn'; message: string }
  | { kind: 'run'; tsc: string; args: string[]; what: string };

/** Options a job without a tsconfig.json is checked with: those the README recommends for jobs. */
const DEFAULT_OPTIONS = ['--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck'];

/** Whether and how to type-check (pure): `flag` is --typecheck (true), --no-typecheck (false), or neither. */
export function planTypecheck(jobFile: string, flag: boolean | undefined, s: TsSetup): TypecheckPlan {
  if (flag === false || (flag === undefined && !s.project)) return { kind: 'skip' };
  const home = s.project ?? s.packageDir ?? s.jobDir;
  if (!s.tsc) {
    const install = `run npm install --save-dev typescript in ${home}`;
    if (flag) throw new JobTypecheckError(`--typecheck: no TypeScript is installed for ${jobFile} (none in ${home} or a parent's node_modules)`, { hint: install });
    return { kind: 'warn', message: `warning: ${join(home, 'tsconfig.json')} is there, but no TypeScript is installed for ${jobFile}: it is sent without a type check\nhint: ${install} (or pass --no-typecheck)\n` };
  }
  if (s.project) return { kind: 'run', tsc: s.tsc, args: ['--noEmit', '--pretty', 'false', '-p', s.project], what: `tsc --noEmit -p ${s.project}` };
  return { kind: 'run', tsc: s.tsc, args: ['--noEmit', '--pretty', 'false', ...DEFAULT_OPTIONS, jobFile], what: `tsc --noEmit --strict ${jobFile}` };
}

/** tsc's `file(line,col): error TS…` as `file:line:col: error TS…`, the form editors and terminals link. */
export function formatDiagnostics(output: string): string {
  return output.replace(/^(.+?)\((\d+),(\d+)\): /gm, '$1:$2:$3: ').trimEnd();
}

/** Reads the job's TypeScript setup from the disk. */
export function readTsSetup(jobFile: string): TsSetup {
  const jobDir = dirname(resolve(jobFile));
  const up: string[] = [];
  for (let dir = jobDir; ; dir = dirname(dir)) {
    up.push(dir);
    if (dirname(dir) === dir) break;
  }
  const packageDir = up.find((d) => existsSync(join(d, 'package.json')));
  // Only as far as the project goes: a tsconfig.json above the nearest package.json belongs to something else.
  const scope = packageDir ? up.slice(0, up.indexOf(packageDir) + 1) : [jobDir];
  const project = scope.find((d) => existsSync(join(d, 'tsconfig.json')));
  let tsc: string | undefined;
  for (const d of up) {
    const pj = join(d, 'node_modules', 'typescript', 'package.json');
    if (!existsSync(pj)) continue;
    const bin = (JSON.parse(readFileSync(pj, 'utf8')) as { bin?: { tsc?: string } }).bin?.tsc ?? './bin/tsc';
    tsc = join(dirname(pj), bin);
    break;
  }
  return { jobDir, project, packageDir, tsc };
}

/**
 * Type-checks the job when asked to or implied; throws JobTypecheckError with tsc's diagnostics when it fails.
 * Returns a warning to print when a tsconfig.json implies a check that cannot run.
 */
export function typecheckJob(jobFile: string, flag: boolean | undefined): { warning?: string } {
  const plan = planTypecheck(jobFile, flag, readTsSetup(jobFile));
  if (plan.kind === 'skip') return {};
  if (plan.kind === 'warn') return { warning: plan.message };
  // Run where the user is, so that tsc names files as they do.
  const r = spawnSync(process.execPath, [plan.tsc, ...plan.args], { cwd: process.cwd(), encoding: 'utf8' });
  if (r.error) throw new JobTypecheckError(`cannot run ${plan.tsc}: ${r.error.message}`, { hint: 'reinstall TypeScript in the job\'s folder: npm install --save-dev typescript' });
  if (r.status === 0) return {};
  const diagnostics = formatDiagnostics(`${r.stdout}${r.stderr}`);
  throw new JobTypecheckError(`the job has type errors (${plan.what}):\n${diagnostics}`, { hint: typecheckHint(diagnostics, packageRoot()) });
}

/** What to do about tsc's errors; not finding raylaunch's own types has one fix. */
export function typecheckHint(diagnostics: string, raylaunchRoot: string): string {
  if (/Cannot find module 'raylaunch'/.test(diagnostics)) {
    return `install raylaunch's types in the job's folder: npm install --save-dev ${raylaunchRoot} (see "Types in your editor" in the README)`;
  }
  return 'fix them, or pass --no-typecheck to send the job as it is';
}
