import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The jobs the end-to-end tests run, as modules tsc and eslint check: test/fixtures/jobs/<test file>/<job>.ts. */
export const JOB_FIXTURES = fileURLToPath(new URL('../fixtures/jobs/', import.meta.url));

/** The path of fixture `name` (relative to test/fixtures/jobs) in the repository. */
export function jobFixture(name: string): string {
  const file = resolve(JOB_FIXTURES, name);
  if (!existsSync(file)) throw new Error(`no job fixture ${name} in ${JOB_FIXTURES}`);
  return file;
}

// Relative specifiers only: `raylaunch` stays external, and node:/npm imports are not the fixture's to copy.
const LOCAL_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The fixture and every file of test/fixtures/jobs it imports, directly or not. */
function withLocalImports(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec = ''] of readFileSync(file, 'utf8').matchAll(LOCAL_IMPORT)) {
      // Jobs import each other as Node's ESM resolution wants them, by the .js name of the .ts file.
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which is not there as ${target}`);
      if (relative(JOB_FIXTURES, target).startsWith('..')) throw new Error(`${file} imports ${spec}, outside ${JOB_FIXTURES}: a copy of the job would not carry it`);
      todo.push(target);
    }
  }
  return [...seen];
}

function commonFolder(a: string, b: string): string {
  const x = a.split(sep);
  const y = b.split(sep);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return x.slice(0, n).join(sep) || sep;
}

/**
 * Copies fixture `name` into `into` as `job.ts` (the name the tests' expectations use: stacks, status lines),
 * with the files it imports at the same places relative to it, and returns the job's path. A job that imports
 * nothing lands at `into/job.ts`; one that imports lib/wait-for.ts at `into/<its folder>/job.ts`.
 *
 * A copy rather than the file itself: a job inside the repository would be type-checked against its tsconfig.json
 * on every submit, and bundled with it, which no user's job is.
 */
export function copyJobFixture(name: string, into: string): string {
  const entry = jobFixture(name);
  const files = withLocalImports(entry);
  const root = files.map((f) => dirname(f)).reduce(commonFolder);
  const job = join(into, relative(root, dirname(entry)), 'job.ts');
  for (const file of files) {
    const to = file === entry ? job : join(into, relative(root, file));
    if (file !== entry && to === job) throw new Error(`${name} imports ${file}, which would take the place of the job's own copy`);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(file, to);
  }
  return job;
}
