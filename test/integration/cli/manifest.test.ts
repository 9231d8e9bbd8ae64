// npm run build writes oclif.manifest.json so that a CLI call loads only its own command: it must list every
// command there is, as built (a command missing from it would be "not found").
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'mocha';

const ROOT = new URL('../../..', import.meta.url).pathname;
const COMMANDS = join(ROOT, 'dist', 'src', 'commands');

function built(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return built(p);
    return e.name.endsWith('.js') ? [relative(COMMANDS, p).replace(/\.js$/, '').split('/').join(':')] : [];
  });
}

describe('the CLI\'s command manifest', () => {
  it('lists every built command, and no other', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
    assert.deepEqual(Object.keys(manifest.commands).sort(), built(COMMANDS).sort());
  });
});
