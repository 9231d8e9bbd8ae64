import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from '@oclif/core';
import { describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';

const COMMANDS = join(REPO, 'src', 'commands');
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));

const commands = async () => Promise.all(files(COMMANDS).map(async (file) => ({ file: relative(COMMANDS, file), cmd: ((await import(pathToFileURL(file).href)) as { default: typeof Command }).default })));

describe('flags and arguments of every command', () => {
  it('no argument is read from stdin: what is piped in belongs to the command (echo cmd | raylaunch attach)', async () => {
    const reading = (await commands()).flatMap(({ file, cmd }) => Object.entries(cmd.args ?? {}).filter(([, a]) => !(a as { ignoreStdin?: boolean }).ignoreStdin).map(([n]) => `${file} ${n}`));
    assert.deepEqual(reading, []);
  });

  it('a repeatable flag takes one value each time, so it may stand before a positional (submit --env K=V job.ts)', async () => {
    const greedy: string[] = [];
    for (const file of files(COMMANDS)) {
      const cmd = ((await import(pathToFileURL(file).href)) as { default: typeof Command }).default;
      for (const [name, flag] of Object.entries(cmd.flags ?? {})) {
        const f = flag as { type: string; multiple?: boolean; multipleNonGreedy?: boolean };
        if (f.type === 'option' && f.multiple && !f.multipleNonGreedy) greedy.push(`${relative(COMMANDS, file)} --${name}`);
      }
    }
    assert.deepEqual(greedy, []);
  });
});
