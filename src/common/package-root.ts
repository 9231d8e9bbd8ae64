import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The installed raylaunch package (the folder with its package.json), found from this file whether it runs
 * compiled (dist/src/common) or from source (src/common).
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'raylaunch' && existsSync(join(dir, 'bin'))) {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the raylaunch package root');
    dir = up;
  }
}

/** The compiled file of a runtime entry point (head, agent): nodes always run compiled code. */
export function runtimeEntry(rel: 'src/head/main.js' | 'src/worker/main.js'): string {
  return join(packageRoot(), 'dist', rel);
}
