import assert from 'node:assert/strict';
import type { Message } from 'esbuild';
import { describe, it } from 'mocha';
import { UsageError } from '../../../src/common/errors.js';
import { type BundleFacts, bundleError, checkJobExtension, packageOf } from '../../../src/launcher/bundle-errors.js';

const msg = (text: string, file: string, line: number, column: number, lineText: string): Message => ({
  id: '', pluginName: '', text, notes: [], detail: undefined,
  location: { file, namespace: 'file', line, column, length: 1, lineText, suggestion: '' },
});

function facts(o: Partial<BundleFacts> = {}): BundleFacts {
  return {
    name: (f) => `shown/${f}`, text: () => undefined, installFolder: () => ({ dir: '/home/u/job', why: 'job folder' }), installed: () => false, ...o,
  };
}

describe('bundling errors say where and what to do', () => {
  const specifiers: [string, string | undefined][] = [
    ['left-pad', 'left-pad'], ['lodash/fp', 'lodash'], ['@scope/pkg', '@scope/pkg'], ['@scope/pkg/deep/x.js', '@scope/pkg'],
    ['./lib.js', undefined], ['../up', undefined], ['/abs/x', undefined], ['node:fs', undefined], ['https://x/y', undefined],
  ];
  for (const [spec, pkg] of specifiers) {
    it(`the package to install for "${spec}" is ${pkg ?? 'none'}`, () => assert.equal(packageOf(spec), pkg));
  }

  for (const ok of ['job.ts', 'a/b.mts', 'x.cts', 'x.tsx', 'job.js', 'job.mjs', 'job.cjs', 'job.jsx']) {
    it(`${ok} is a job file`, () => assert.doesNotThrow(() => checkJobExtension(ok)));
  }
  for (const [bad, hint] of [['job.py', /TypeScript against its job API/], ['data.json', /\.ts or \.js file/], ['Makefile', /\.ts or \.js file/]] as const) {
    it(`${bad} is a usage mistake naming what a job may be`, () => {
      assert.throws(() => checkJobExtension(bad), (e: Error) => e instanceof UsageError && e.exitCode === 2
        && /a job is a TypeScript or JavaScript module \(\.ts, \.mts, \.cts, \.tsx, \.js, \.mjs, \.cjs, \.jsx\)/.test(e.message) && hint.test(e.hint ?? ''));
    });
  }

  it('a syntax error is its place, the line before and the line, a caret under the character (not the byte)', () => {
    // esbuild counts bytes: "y" is at byte 16 of the line, character 15 (é and ü take two bytes each).
    const e = bundleError([msg('Expected ";" but found "y"', 'job.ts', 3, 16, 'const é = "ü" y;')], facts({ text: () => 'a\nlet b;\nconst é = "ü" y;\n' }));
    assert.equal(e.message, 'shown/job.ts:3:15: Expected ";" but found "y"\n      2 | let b;\n    > 3 | const é = "ü" y;\n        |               ^');
    assert.equal(e.hint, undefined);
  });

  it('without the file to read again, the frame is the error line alone', () => {
    assert.equal(bundleError([msg('Unexpected "}"', 'x.ts', 12, 0, '}')], facts()).message, 'shown/x.ts:12:1: Unexpected "}"\n    > 12 | }\n         | ^');
  });

  const missing: [string, Partial<BundleFacts>, string, string][] = [
    ['not installed, no package.json: the job\'s folder', {}, 'cannot find the npm package "left-pad"', 'run npm install left-pad in /home/u/job (the job\'s folder; no package.json above it)'],
    ['not installed: the nearest folder with a package.json', { installFolder: () => ({ dir: '/home/u', why: 'package.json' }) },
      'cannot find the npm package "left-pad"', 'run npm install left-pad in /home/u (the nearest folder with a package.json)'],
    ['installed, without that subpath', { installed: () => true }, 'cannot find "left-pad/nope" in the installed package left-pad', 'check the import path against left-pad\'s documentation'],
  ];
  for (const [name, f, text, hint] of missing) {
    it(`a package import that does not resolve, ${name}`, () => {
      const spec = text.includes('nope') ? 'left-pad/nope' : 'left-pad';
      const e = bundleError([msg(`Could not resolve "${spec}"`, 'job.ts', 1, 16, `import x from '${spec}';`)], facts(f));
      assert.equal(e.message.split('\n')[0], `shown/job.ts:1:17: ${text}`);
      assert.equal(e.hint, hint);
    });
  }

  it('a relative import that does not resolve says where relative imports resolve from', () => {
    const e = bundleError([msg('Could not resolve "./lib.js"', 'job.ts', 2, 18, "import { x } from './lib.js';")], facts());
    assert.equal(e.message.split('\n')[0], 'shown/job.ts:2:19: cannot find "./lib.js"');
    assert.match(e.hint ?? '', /relative imports resolve from the importing file's folder/);
  });

  it('several errors are all shown, with the first one\'s hint', () => {
    const e = bundleError([
      msg('Expected ";" but found "y"', 'a.ts', 1, 8, 'const x y = 1;'),
      msg('Could not resolve "left-pad"', 'b.ts', 1, 14, "import x from 'left-pad';"),
    ], facts());
    assert.deepEqual(e.message.split('\n').filter((l) => !l.startsWith(' ')), ['shown/a.ts:1:9: Expected ";" but found "y"', 'shown/b.ts:1:15: cannot find the npm package "left-pad"']);
    assert.match(e.hint ?? '', /npm install left-pad/);
  });
});
