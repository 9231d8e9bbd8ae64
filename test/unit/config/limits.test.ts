import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { suggestionSearches } from '../../../src/common/suggest.js';
import { loadConfig, loadConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/problems.js';
import {
  aliasBomb, anchorsAndAliases, type BigConfig, bytesOfMetadata, duplicateKeys, manyWorkerHosts, metadataKeys,
  typoTopLevelKeys, unknownTopLevelKeys,
} from '../../helpers/big-configs.js';
import { brief } from '../../helpers/config.js';

// `validate` on files made to cost time or memory. Each case pins what was found and what is reported, and the
// work done where it can be counted (the "did you mean" searches), never the time taken: the bench
// (bench/validate.ts) gives the figures.

const load = (text: string) => loadConfigText(text, 'big.yaml', { missingFiles: 'warning', cwd: '/nonexistent-dir' });

/** What loading a file gave: a ConfigError's problems (with how many there were in all), or a valid config. */
async function outcome(text: string): Promise<{ found: number; reported: readonly string[]; hints: readonly (string | undefined)[] }> {
  try {
    const loaded = await load(text);
    return { found: loaded.warningCount, reported: loaded.warnings.map(brief), hints: loaded.warnings.map((w) => w.hint) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { found: e.problemCount, reported: e.problems.map(brief), hints: e.problems.map((p) => p.hint) };
  }
}

interface Case {
  name: string;
  config: BigConfig;
  /** Problems in the file, in all. */
  found: number;
  /** Problems reported: the first ones in file order. */
  reported: number;
  /** The first problem reported ("line:col path: message"), and its hint. */
  first: string;
  hint?: string;
  /** The most "did you mean" searches loading the file may make. */
  searches?: number;
}

const CASES: Case[] = [
  {
    name: '20,000 unknown top-level keys are all counted; the first 50 in file order are reported',
    config: unknownTopLevelKeys(20_000), found: 20_000, reported: 50, searches: 50,
    first: '3:1 unknown_key_0: unknown key "unknown_key_0"',
  },
  {
    name: '20,000 misspelt top-level keys: a "did you mean" search for each problem reported, not for each one found',
    config: typoTopLevelKeys(20_000), found: 20_000, reported: 50, searches: 50,
    first: '3:1 idle_timeout_minutes000: unknown key "idle_timeout_minutes000"', hint: 'did you mean "idle_timeout_minutes"?',
  },
  {
    name: 'a key written 5,000 times in one mapping: 4,999 duplicates counted, the first 50 reported',
    config: duplicateKeys(5_000), found: 4_999, reported: 50,
    first: '5:3 : duplicate key "dup": a key may appear only once in a mapping', hint: 'remove one of the two, or merge their values',
  },
  {
    name: 'the alias bomb is a config error at the alias that goes past the limit',
    config: aliasBomb(), found: 1, reported: 1,
    first: '9:10 : the aliases (*name) in this file expand to more than 100,000 values',
    hint: 'write the repeated parts out, or alias fewer or smaller parts: a cluster config needs a few aliases at most',
  },
  {
    name: 'more than 500 aliases in one file is a config error at the first one past the limit',
    config: anchorsAndAliases(30_000), found: 1, reported: 1,
    first: '1006:7 : more than 500 aliases (*name) in one file',
    hint: 'write the repeated parts out, or alias fewer or smaller parts: a cluster config needs a few aliases at most',
  },
  {
    name: 'a metadata map of 20,000 keys is valid, with one warning',
    config: metadataKeys(20_000), found: 1, reported: 1, first: '3:1 metadata: not interpreted by raylaunch',
  },
  {
    name: 'a local pool of 20,000 hosts, all given to one node type, is valid',
    config: manyWorkerHosts(20_000), found: 0, reported: 0, first: '',
  },
];

describe('validate on large files: bounded work and output', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const before = suggestionSearches();
      const r = await outcome(c.config.text);
      const searches = suggestionSearches() - before;
      assert.equal(r.found, c.found, 'problems found');
      assert.equal(r.reported.length, c.reported, 'problems reported');
      assert.equal(r.reported[0] ?? '', c.first);
      if (c.hint) assert.equal(r.hints[0], c.hint);
      if (c.searches !== undefined) assert.ok(searches <= c.searches, `${searches} "did you mean" searches, at most ${c.searches} wanted`);
    });
  }

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
    ['an alias with no anchor before it', 'provider: {type: process}\nmetadata: *nope\n', '2:11 : alias *nope has no anchor &nope before it'],
    ['an alias inside the node it names', 'provider: {type: process}\nmetadata: &m {a: *m}\n', '2:18 : alias *m is inside the node &m it names, so it would never end'],
  ];
  for (const [name, text, first] of ALIAS_CASES) {
    it(`${name} is a config error, not a crash`, async () => {
      const r = await outcome(text);
      assert.deepEqual(r.reported, [first]);
    });
  }
});
