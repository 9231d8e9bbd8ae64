import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_TO_BUNDLE, type DistEntry, RUNTIME_FILES } from '../runtime/entries.js';

interface Root { dir: string; bundled: boolean }
let cached: Root | undefined;

/**
 * Walks up from this file to the first folder holding raylaunch's package.json: the installed package (it has
 * `bin`) when running compiled (dist/src/common) or from source, or a runtime bundle folder (it has a manifest)
 * when this code was bundled into one; bundle chunks sit directly in that folder.
 */
function locate(): Root {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'raylaunch') {
      if (existsSync(join(dir, 'bin'))) return (cached = { dir, bundled: false });
      if (existsSync(join(dir, RUNTIME_FILES.manifest))) return (cached = { dir, bundled: true });
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the raylaunch package root');
    dir = up;
  }
}

/**
 * The raylaunch package this code runs from: the installed package, or the runtime bundle folder on a node.
 * Either way `import 'raylaunch'` resolves there through a `node_modules/raylaunch` link (see writeJobDir).
 */
export function packageRoot(): string {
  return locate().dir;
}

/** Whether this code runs from a runtime bundle folder (dist/runtime, or its copy on a node). */
export function runningBundled(): boolean {
  return locate().bundled;
}

/**
 * The folder node processes run from: a runtime bundle folder when this code runs from one; from the installed
 * package, the runtime bundle `npm run build` makes in dist/runtime (the one SSH nodes run) when it is there —
 * the same code, loaded in about a third of the CPU time of dist/src's hundreds of modules, which every
 * process-provider node, worker process and driver pays at its start; else the package itself. A job's
 * `import 'raylaunch'` must resolve to the same folder as the driver or worker process running it (one copy of
 * the job API per process), so both come from here.
 */
export function runtimeRoot(): { dir: string; bundled: boolean } {
  const { dir, bundled } = locate();
  if (bundled) return { dir, bundled };
  const bundle = join(dir, 'dist', 'runtime');
  return existsSync(join(bundle, RUNTIME_FILES.manifest)) ? { dir: bundle, bundled: true } : { dir, bundled: false };
}

/** The file of a runtime entry point (head, agent, worker process, driver), in runtimeRoot(). */
export function runtimeEntry(rel: DistEntry): string {
  const { dir, bundled } = runtimeRoot();
  return bundled ? join(dir, DIST_TO_BUNDLE[rel]) : join(dir, 'dist', rel);
}
