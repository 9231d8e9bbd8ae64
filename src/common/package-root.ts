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

/** The file of a runtime entry point (head, agent, worker process): nodes always run compiled or bundled code. */
export function runtimeEntry(rel: DistEntry): string {
  const { dir, bundled } = locate();
  return bundled ? join(dir, DIST_TO_BUNDLE[rel]) : join(dir, 'dist', rel);
}
