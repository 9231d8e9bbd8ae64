import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { sourceName, withUserSources } from '../../../src/launcher/bundle.js';

describe('the job bundle names its sources as the user named the job', () => {
  const cases: [string, string, { cwd: string; absolute: boolean }, string][] = [
    ['submit job.ts in its folder', '/home/u/proj/job.ts', { cwd: '/home/u/proj', absolute: false }, 'job.ts'],
    ['submit jobs/job.ts: a sibling import', '/home/u/proj/jobs/lib.ts', { cwd: '/home/u/proj', absolute: false }, 'jobs/lib.ts'],
    ['submit ../job.ts from a subfolder', '/home/u/proj/job.ts', { cwd: '/home/u/proj/sub', absolute: false }, '../job.ts'],
    ['submit /abs/job.ts: every file absolute', '/abs/node_modules/x/index.js', { cwd: '/home/u', absolute: true }, '/abs/node_modules/x/index.js'],
  ];
  for (const [name, file, o, want] of cases) {
    it(name, () => assert.equal(sourceName(file, o), want));
  }

  it('the map esbuild wrote (relative to the output) is renamed and inlined', () => {
    const map = JSON.stringify({ version: 3, sources: ['job.ts', 'node_modules/x/i.js', 'ns:virtual'], mappings: 'AAAA' });
    const out = Buffer.from(withUserSources(Buffer.from('console.log(1);\n'), map, { outDir: '/home/u/proj/jobs', cwd: '/home/u/proj', absolute: false })).toString();
    const m = /\n\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\n$/.exec(out);
    assert.ok(out.startsWith('console.log(1);\n') && m?.[1], out);
    assert.deepEqual((JSON.parse(Buffer.from(m[1], 'base64').toString()) as { sources: string[] }).sources, ['jobs/job.ts', 'jobs/node_modules/x/i.js', 'ns:virtual']);
  });
});
