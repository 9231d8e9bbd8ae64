/**
 * What `submit` and `run` say when a job cannot be bundled: each of esbuild's errors as `file:line:col: what`, the
 * line with a caret under the spot, and what to do (the folder to `npm install` a missing package in, the file
 * types a job may import). Pure: what it needs from the disk comes through BundleFacts.
 */
import type { Message } from 'esbuild';
import { extname } from 'node:path';
import { codeFrame } from '../config/yaml.js';
import { UsageError } from '../common/errors.js';
import { JobBundleError } from './errors.js';

/** What esbuild's default loaders take as a job's entry: code, TypeScript or JavaScript. */
export const JOB_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx'] as const;
/** What a job may import besides code (esbuild's other default loaders). */
const DATA_EXTENSIONS = ['.json', '.txt', '.css'];

/** A job file of a type raylaunch cannot run is a usage mistake: say what it takes. */
export function checkJobExtension(jobFile: string): void {
  const ext = extname(jobFile);
  if ((JOB_EXTENSIONS as readonly string[]).includes(ext)) return;
  const what = ext ? `a ${ext} file` : 'a file without an extension';
  throw new UsageError(`${jobFile} is ${what}; a job is a TypeScript or JavaScript module (${JOB_EXTENSIONS.join(', ')})`, {
    hint: ext === '.py'
      ? "raylaunch runs jobs written in TypeScript against its job API (remote, get, main from 'raylaunch'); see \"Writing jobs\" in its README"
      : 'give the job\'s .ts or .js file',
  });
}

/** Where a missing package should be installed for an importer to find it. */
export interface InstallFolder { dir: string; why: 'package.json' | 'job folder' }

/** What the messages need from the disk (gathered by the caller). */
export interface BundleFacts {
  /** The file as the user named the job (see sourceName in bundle.ts); `file` is esbuild's path. */
  name(file: string): string;
  /** The file's text, for a code frame. */
  text(file: string): string | undefined;
  /** The nearest folder with a package.json above the importer (outside node_modules), else the job's folder. */
  installFolder(importer: string): InstallFolder;
  /** Whether the package can be found from the importer (installed, but without the imported subpath). */
  installed(pkg: string, importer: string): boolean;
}

/** `left-pad`, `left-pad/sub`, `@scope/pkg/sub` → the package to install; undefined for paths and URLs. */
export function packageOf(specifier: string): string | undefined {
  if (/^[./]|^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  const pkg = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return pkg && /^(@[\w.-]+\/)?[\w.-]+$/.test(pkg) ? pkg : undefined;
}

interface Explained { text: string; hint?: string }

function explain(m: Message, facts: BundleFacts): Explained {
  const file = m.location?.file;
  const unresolved = /^Could not resolve "(.+)"$/.exec(m.text)?.[1];
  if (unresolved !== undefined && file) {
    const pkg = packageOf(unresolved);
    if (pkg && !facts.installed(pkg, file)) {
      const at = facts.installFolder(file);
      const why = at.why === 'package.json' ? 'the nearest folder with a package.json' : "the job's folder; no package.json above it";
      return { text: `cannot find the npm package "${pkg}"`, hint: `run npm install ${pkg} in ${at.dir} (${why})` };
    }
    if (pkg) return { text: `cannot find "${unresolved}" in the installed package ${pkg}`, hint: `check the import path against ${pkg}'s documentation` };
    return { text: `cannot find "${unresolved}"`, hint: 'relative imports resolve from the importing file\'s folder (import \'./lib.js\' finds lib.ts beside it)' };
  }
  const noLoader = /^No loader is configured for "(\.[^"]*)" files/.exec(m.text)?.[1];
  if (noLoader !== undefined) {
    return {
      text: `a job cannot import ${noLoader} files`,
      hint: `a job imports ${[...JOB_EXTENSIONS, ...DATA_EXTENSIONS].join(', ')} files; read other files at run time (upload them with --working-dir)`,
    };
  }
  if (/native addon/.test(m.text)) return { text: m.text, hint: 'jobs cannot use packages with native addons; use a pure-JavaScript alternative' };
  return { text: m.text };
}

/** Byte column (esbuild's) to character column, 1-based, so the caret sits under the right character. */
function charColumn(lineText: string, byteColumn: number): number {
  return Buffer.from(lineText).subarray(0, byteColumn).toString().length + 1;
}

/** The error line alone with its caret, when the file cannot be read again. */
function lineFrame(lineText: string, line: number, column: number): string {
  const width = String(line).length;
  return `> ${line} | ${lineText}\n  ${' '.repeat(width)} | ${' '.repeat(column - 1)}^`;
}

/** One error: `file:line:col: what`, then the line and a caret (indented), as config errors are shown. */
function render(m: Message, text: string, facts: BundleFacts): string {
  const loc = m.location;
  if (!loc) return text;
  const column = charColumn(loc.lineText, loc.column);
  const source = facts.text(loc.file);
  const frame = source !== undefined ? codeFrame(source, loc.line, column) : lineFrame(loc.lineText, loc.line, column);
  return `${facts.name(loc.file)}:${loc.line}:${column}: ${text}\n${frame.split('\n').map((l) => `    ${l}`).join('\n')}`;
}

/** The error to throw for esbuild's errors: every one with its place and line, and the first one's hint. */
export function bundleError(errors: readonly Message[], facts: BundleFacts): JobBundleError {
  const explained = errors.map((m) => ({ m, e: explain(m, facts) }));
  const hint = explained.find(({ e }) => e.hint)?.e.hint;
  return new JobBundleError(explained.map(({ m, e }) => render(m, e.text, facts)).join('\n'), hint ? { hint } : {});
}
