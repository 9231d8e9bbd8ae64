import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { serialize } from 'node:v8';
import { pack, packedFileCount } from '../../../src/common/pack.js';
import { checkSubmission, RefusedSubmission } from '../../../src/head/jobs/submission.js';

const files = (n: number, size: number) => Array.from({ length: n }, (_, i) => ({ path: `f${i}`, mode: 0o644, data: new Uint8Array(size) }));
const limits = { maxBytes: 1000, maxFiles: 10 };

describe('the head\'s working-directory limits (submission.ts)', () => {
  const CASES: [title: string, workingDir: Uint8Array, outcome: RegExp | number][] = [
    ['a folder within both limits is taken', pack(files(10, 100)), 10],
    ['more files than raylaunch.max_upload_files are refused', pack(files(11, 1)), /11 files are more than this cluster takes \(10, raylaunch\.max_upload_files/],
    ['more bytes than raylaunch.max_upload_mb are refused', pack(files(2, 501)), /0\.0 MB is more than this cluster takes \(0\.0 MB, raylaunch\.max_upload_mb/],
    ['bytes that are no list are refused as no packed folder', serialize('x'), /is not a packed folder/],
  ];
  for (const [title, workingDir, outcome] of CASES) {
    it(title, () => {
      const req = { args: [], env: {}, workingDir };
      if (typeof outcome === 'number') assert.equal(checkSubmission(req, limits)?.length, outcome);
      else assert.throws(() => checkSubmission(req, limits), (e: unknown) => e instanceof RefusedSubmission && outcome.test(e.message));
    });
  }

  it('the file count is read from the head of the pack, without unpacking it', () => {
    for (const n of [0, 1, 127, 128, 100_000]) assert.equal(packedFileCount(pack(files(n, 0))), n);
    assert.equal(packedFileCount(new Uint8Array([1, 2, 3])), undefined);
  });
});
