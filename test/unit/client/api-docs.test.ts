/**
 * docs/api.md documents the package root: every name src/client/index.ts exports has a heading of its own (or
 * shares one) in docs/api.md, with an example that uses it, so an export added without its documentation fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';

/** The names a module exports: `export { a, b as c } from …`, `export type { … }`, `export function|class|const …`. */
export function exportedNames(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  if (/export\s+\*/.test(code)) throw new Error('export * hides what is exported: list the names');
  const names: string[] = [];
  for (const m of code.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of (m[1] ?? '').split(',')) {
      const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()?.trim();
      if (name) names.push(name);
    }
  }
  for (const m of code.matchAll(/export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|type|interface|enum)\s+([A-Za-z_$][\w$]*)/g)) {
    if (m[1]) names.push(m[1]);
  }
  return [...new Set(names)].sort();
}

/**
 * For each name a heading documents (a `code span` in the heading starts with it: `get(refs)`, `ObjectRef<T>`),
 * the code blocks of that heading's section (up to the next heading).
 */
export function documented(markdown: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const sections = markdown.split(/^(?=#{1,6}\s)/m);
  for (const section of sections) {
    const heading = section.split('\n', 1)[0] ?? '';
    if (!/^#{1,6}\s/.test(heading)) continue;
    const blocks = [...section.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
    for (const span of heading.matchAll(/`([^`]+)`/g)) {
      const name = /^[A-Za-z_$][\w$]*/.exec(span[1] ?? '')?.[0];
      if (name) out.set(name, [...(out.get(name) ?? []), ...blocks]);
    }
  }
  return out;
}

describe('docs/api.md documents the job API', () => {
  const index = readFileSync(join(REPO, 'src/client/index.ts'), 'utf8');
  const docsText = readFileSync(join(REPO, 'docs/api.md'), 'utf8');

  it('reads the names of every form of export', () => {
    assert.deepEqual(exportedNames("export { a, b as c } from './x.js';\nexport type {\n  T, type U,\n} from './t.js';\n// export { gone }\nexport function f() {}\nexport class K {}\nexport const v = 1;\n"),
      ['K', 'T', 'U', 'a', 'c', 'f', 'v']);
    assert.throws(() => exportedNames("export * from './x.js';"), /list the names/);
  });

  it('finds the names given a heading, with their sections\' examples', () => {
    const md = '# The API\n### `get(refs, options?)` → `ObjectRef`\nText with `put` only.\n```ts\nawait get(r);\n```\n## `TaskOptions`\nNo example.\n';
    assert.deepEqual([...documented(md)], [['get', ['await get(r);\n']], ['ObjectRef', ['await get(r);\n']], ['TaskOptions', []]]);
  });

  it('every export of src/client/index.ts has a heading in docs/api.md, and an example that uses it', () => {
    const names = exportedNames(index);
    assert.ok(names.length >= 40, `too few exports found: ${names.join(', ')}`);
    const docs = documented(docsText);
    assert.deepEqual(names.filter((n) => !docs.has(n)), [], 'exports without a heading in docs/api.md');
    const uses = (n: string) => (docs.get(n) ?? []).some((code) => new RegExp(`(^|[^\\w$])${n.replace(/\$/g, '\\$')}([^\\w$]|$)`).test(code));
    assert.deepEqual(names.filter((n) => !uses(n)), [], 'exports whose section in docs/api.md has no example using them');
  });

  it('the README points at docs/api.md, which a clone has', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    assert.match(readme, /\]\(docs\/api\.md\)/);
    assert.doesNotMatch(readme, /shared\/API\.md/);
  });
});
