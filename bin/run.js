#!/usr/bin/env node
import { readdirSync, rmSync, statSync } from 'node:fs';
import { URL } from 'node:url';
import { execute } from '@oclif/core';

// oclif.manifest.json (npm run build writes it) lets oclif load only the command being run. One older than a
// compiled command (a command added, changed or removed since, with tsc run alone) would hide or misdescribe it:
// it is dropped, and oclif reads every command instead (slower, never wrong).
const manifest = new URL('../oclif.manifest.json', import.meta.url);
function stale() {
  try {
    const made = statSync(manifest).mtimeMs;
    const newer = (dir) => readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = new URL(e.name + (e.isDirectory() ? '/' : ''), dir);
      return e.isDirectory() ? statSync(p).mtimeMs > made || newer(p) : e.name.endsWith('.js') && statSync(p).mtimeMs > made;
    });
    return newer(new URL('../dist/src/commands/', import.meta.url));
  } catch {
    return false;
  }
}
if (stale()) rmSync(manifest, { force: true });

await execute({ dir: import.meta.url });
