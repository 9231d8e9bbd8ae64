// What a head's sqlite GCS store holds, read from a copy of its file while the head runs (a test waits for the
// store to hold something before it kills the head: the event, not a time).
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteBackend, sqliteFile } from '../../src/head/gcs/sqlite.js';

/**
 * The keys of one table in the head's `gcs.sqlite`, as committed: the file is copied only while no transaction
 * holds it (the wasm build's lock is a `<file>.lock` folder), and undefined when one did before or after the copy
 * (the copy may be torn; the caller polls again). Never opens the head's own file, so it takes no lock the head
 * could trip on.
 */
export async function committedKeys(stateDir: string, table: string): Promise<string[] | undefined> {
  const file = sqliteFile(stateDir);
  const lock = `${file}.lock`;
  if (!existsSync(file) || existsSync(lock)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'raylaunch-gcs-copy-'));
  try {
    const copy = join(dir, 'gcs.sqlite');
    copyFileSync(file, copy);
    if (existsSync(lock)) return undefined;
    const backend = await sqliteBackend(copy);
    try {
      return (await backend.load()).filter((r) => r.table === table).map((r) => r.key).sort();
    } finally {
      await backend.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
