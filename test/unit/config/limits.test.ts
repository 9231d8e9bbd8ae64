import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { loadConfig, loadConfigText } from '../../../src/config/load.js';
import { bytesOfMetadata } from '../../helpers/big-configs.js';

// `validate` on files made to cost time or memory.

const load = (text: string) => loadConfigText(text, 'big.yaml', { missingFiles: 'warning', cwd: '/nonexistent-dir' });

describe('validate on large files: bounded work and output', () => {
  it('a file over 1 MiB is refused before it is parsed, naming the file, its size and the limit', async () => {
    const text = `${bytesOfMetadata(1.5 * 1024 * 1024).text}: not: yaml: [\n`;
    await assert.rejects(load(text), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.name, 'ConfigTooLargeError');
      assert.equal(e.code, 'config_too_large');
      assert.equal(e.message, 'config file big.yaml is 1.5 MiB: more than the 1 MiB raylaunch reads as a cluster config');
      assert.match(e.hint ?? '', /^check that big\.yaml is the config you meant/);
      return true;
    });
  });

  it('a pipe is read up to the limit and refused past it, without knowing its size', async function () {
    if (process.platform === 'win32') this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'raylaunch-limits-'));
    const fifo = join(dir, 'config.yaml');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    writer.on('error', () => { /* EPIPE once the reader stops at the limit */ });
    writer.end(bytesOfMetadata(2 * 1024 * 1024).text);
    try {
      await assert.rejects(loadConfig(fifo, { missingFiles: 'warning' }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'config_too_large');
        assert.equal(e.message, `config file ${fifo} is more than the 1 MiB raylaunch reads as a cluster config`);
        return true;
      });
    } finally {
      writer.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file of exactly 1 MiB is read', async () => {
    const head = 'provider: {type: process}\nmetadata: {note: ""}\n';
    const text = `${head}#${'x'.repeat(1024 * 1024 - head.length - 2)}\n`;
    assert.equal(Buffer.byteLength(text), 1024 * 1024);
    const loaded = await load(text);
    assert.equal(loaded.config.provider.type, 'process');
  });
});
