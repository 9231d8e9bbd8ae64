import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { pack, type PackedFile } from '../common/pack.js';
import { RaylaunchError } from '../common/errors.js';

/** The working directory is larger than the upload cap (or unreadable). Exit 1. */
export class WorkingDirError extends RaylaunchError {
  override readonly name = 'WorkingDirError';
  readonly code = 'working_dir_invalid';
  readonly exitCode = 1;
}

export const DEFAULT_UPLOAD_LIMIT_MB = 100;

interface Walked { files: { abs: string; rel: string; size: number; mode: number }[]; skippedLinks: number }

/** Every file under `root` that no .gitignore (at any level) excludes; .git itself never travels. */
function walk(root: string): Walked {
  const out: Walked = { files: [], skippedLinks: 0 };
  const visit = (dir: string, rules: { base: string; ig: Ignore }[]) => {
    let own = rules;
    try {
      const text = readFileSync(join(dir, '.gitignore'), 'utf8');
      own = [...rules, { base: dir, ig: ignore().add(text) }];
    } catch {
      // no .gitignore here
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const abs = join(dir, entry.name);
      const isDir = entry.isDirectory();
      const ignored = own.some(({ base, ig }) => ig.ignores(relative(base, abs).split(sep).join('/') + (isDir ? '/' : '')));
      if (ignored) continue;
      if (entry.isSymbolicLink()) {
        out.skippedLinks += 1;
        continue;
      }
      if (isDir) visit(abs, own);
      else if (entry.isFile()) {
        const st = lstatSync(abs);
        out.files.push({ abs, rel: relative(root, abs).split(sep).join('/'), size: st.size, mode: st.mode });
      }
    }
  };
  visit(root, []);
  return out;
}

/**
 * Packs a folder to become a job's working directory (driver and worker processes run in it), honouring
 * .gitignore files and refusing, with the biggest files named, a folder past the cap.
 */
export function packWorkingDir(dir: string, limitMb: number): { packed: Uint8Array; files: number; bytes: number } {
  const isDir = (() => {
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  })();
  if (!isDir) throw new WorkingDirError(`--working-dir ${dir} is not a folder`, { hint: 'pass the folder whose files the job needs' });
  const { files } = walk(dir);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const limit = limitMb * 1024 * 1024;
  if (bytes > limit) {
    const biggest = [...files].sort((a, b) => b.size - a.size).slice(0, 5).map((f) => `${f.rel} (${(f.size / 1048576).toFixed(1)} MB)`);
    throw new WorkingDirError(`--working-dir ${dir} holds ${(bytes / 1048576).toFixed(1)} MB after .gitignore, more than the ${limitMb} MB limit; the biggest files: ${biggest.join(', ')}`, {
      hint: 'add large files to .gitignore (they stay behind), point --working-dir at a smaller folder, or raise --max-upload-mb',
    });
  }
  const packedFiles: PackedFile[] = files.map((f) => ({ path: f.rel, mode: f.mode, data: readFileSync(f.abs) }));
  return { packed: pack(packedFiles), files: files.length, bytes };
}
