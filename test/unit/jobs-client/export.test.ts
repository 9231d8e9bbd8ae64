import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';

/** Every source file a module imports, transitively (static and dynamic imports of relative paths). */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  visit(entry);
  return seen;
}

describe('the raylaunch/jobs export', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };

  it('is a subpath of its own, built from src/jobs-client/index.ts', () => {
    assert.deepEqual(pkg.exports['./jobs'], { types: './dist/src/jobs-client/index.d.ts', default: './dist/src/jobs-client/index.js' });
    assert.ok(existsSync(join(REPO, 'src', 'jobs-client', 'index.ts')));
  });

  it('is not loaded with the package root, which every worker process loads', () => {
    const root = importGraph(join(REPO, 'src', 'client', 'index.ts'));
    assert.ok(root.size > 5, 'the root\'s imports were followed');
    assert.deepEqual([...root].map((f) => relative(REPO, f)).filter((f) => f.startsWith('src/jobs-client/')), []);
  });
});
