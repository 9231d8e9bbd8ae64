import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { FileSyncError, listFiles, parseRsyncList, remotePath, rsyncFilterArgs, withTar } from '../../../src/updater/file-sync.js';

describe('file sync file lists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-sync-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses rsync --list-only lines, names with spaces and symlinks included', () => {
    const out = [
      'drwxr-xr-x          4,096 2026/11/27 06:00:00 .',
      '-rw-r--r--             12 2026/11/27 06:00:00 a file.txt',
      'drwxr-xr-x          4,096 2026/11/27 06:00:00 sub',
      'lrwxrwxrwx              5 2026/11/27 06:00:00 sub/link -> ../a',
    ].join('\n');
    assert.deepEqual(parseRsyncList(out), [{ path: 'a file.txt', dir: false }, { path: 'sub', dir: true }, { path: 'sub/link', dir: false }]);
  });

  it('leaves out .gitignored files and rsync_exclude patterns, as rsync would', async () => {
    mkdirSync(join(dir, 'src/.git'), { recursive: true });
    writeFileSync(join(dir, '.gitignore'), 'secret.env\n*.log\n');
    for (const f of ['src/main.ts', 'secret.env', 'run.log', 'src/.git/HEAD', 'keep.txt']) writeFileSync(join(dir, f), 'x');
    const files = (await listFiles(dir, { rsync_exclude: ['**/.git', '**/.git/**'], rsync_filter: ['.gitignore'] })).map((e) => e.path).sort();
    assert.deepEqual(files, ['.gitignore', 'keep.txt', 'src', 'src/main.ts']);
  });

  it('turns the filters into Ray\'s rsync arguments', () => {
    assert.deepEqual(rsyncFilterArgs({ rsync_exclude: ['**/.git'], rsync_filter: ['.gitignore'] }), ['--exclude', '**/.git', '--filter', 'dir-merge,- .gitignore']);
  });

  const REMOTE: [string, string][] = [['~/app', '"$HOME"/app'], ['/opt/x', '/opt/x'], ['data dir', `"$HOME"/'data dir'`], ['~', '"$HOME"']];
  for (const [p, want] of REMOTE) it(`remote path ${p} → ${want}`, () => assert.equal(remotePath(p), want));
});

describe('withTar', () => {
  it('a tar that exits without reading its input is a FileSyncError, not an uncaught EPIPE', async () => {
    const input = 'x'.repeat(8 << 20); // more than a pipe holds: the write is still under way when tar exits
    await assert.rejects(withTar(['--no-such-option'], 'packing the test', async (out) => { out.resume(); }, input), (e: unknown) => e instanceof FileSyncError && /packing the test failed/.test(e.message));
  });
});
