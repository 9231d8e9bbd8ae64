import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { loadConfig, loadConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/problems.js';
import { aliasBomb, anchorsAndAliases, bytesOfMetadata, duplicateKeys } from '../../helpers/big-configs.js';
import { brief } from '../../helpers/config.js';

// `validate` on files made to cost time or memory.

const load = (text: string) => loadConfigText(text, 'big.yaml', { missingFiles: 'warning', cwd: '/nonexistent-dir' });

/** The problems loading a file reports ("line:col path: message"); none for a valid config. */
async function problemsOf(text: string): Promise<string[]> {
  try {
    await load(text);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map(brief);
  }
}

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

  const ALIAS_CASES: [string, string, string][] = [
    ['the alias bomb', aliasBomb().text, '9:10 : the aliases (*name) in this file expand to more than 100,000 values'],
    ['more than 500 aliases', anchorsAndAliases(30_000).text, '1006:7 : more than 500 aliases (*name) in one file'],
    ['an alias with no anchor before it', 'provider: {type: process}\nmetadata: *nope\n', '2:11 : alias *nope has no anchor &nope before it'],
    ['an alias inside the node it names', 'provider: {type: process}\nmetadata: &m {a: *m}\n', '2:18 : alias *m is inside the node &m it names, so it would never end'],
  ];
  for (const [name, text, first] of ALIAS_CASES) {
    it(`${name} is a config error at the alias, not a crash`, async () => {
      assert.deepEqual(await problemsOf(text), [first]);
    });
  }

  it('a key written 5,000 times in one mapping: every repeat is an error at its line', async () => {
    const problems = await problemsOf(duplicateKeys(5_000).text);
    assert.equal(problems.length, 4_999);
    assert.equal(problems[0], '5:3 : duplicate key "dup": a key may appear only once in a mapping');
    assert.equal(problems[4_998], '5003:3 : duplicate key "dup": a key may appear only once in a mapping');
  });
});
