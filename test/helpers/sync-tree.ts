import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A folder for file-sync tests, for clusters with `rsync_exclude: [build]` and `rsync_filter: [.gitignore]`:
 * nested folders, a name with a space, a .gitignored `a/secret.log` and an excluded `build/`.
 */
export function writeSyncTree(root: string): void {
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(join(root, 'top.txt'), 'top\n');
  writeFileSync(join(root, 'a', 'b', 'deep file.txt'), 'deep\n');
  writeFileSync(join(root, 'a', 'secret.log'), 'ignored\n');
  writeFileSync(join(root, '.gitignore'), '*.log\n');
  writeFileSync(join(root, 'build', 'out.bin'), 'excluded\n');
}

/** What of that folder lands on the other side, sorted. */
export const SYNC_TREE_LANDS = ['.gitignore', 'a/b/deep file.txt', 'top.txt'];
