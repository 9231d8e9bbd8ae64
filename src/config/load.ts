import { type FileHandle, open, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { applyDefaults } from './defaults.js';
import {
  ConfigError, ConfigFileError, ConfigTooLargeError, firstProblems, formatPath, type LocatedProblem, type Problem, type YamlPath,
} from './problems.js';
import { type ClusterConfig, PROVIDER_TYPES } from './types.js';
import { checkSemantics, validateRaw } from './validate.js';
import { locateAll, parseYaml, toValue, type YamlSource } from './yaml.js';

export interface LoadOptions {
  /**
   * Files the config names (file_mounts sources, SSH keys): `validate` works offline and only warns when they
   * are missing; `up` needs them and fails.
   */
  missingFiles: 'warning' | 'error';
  /** Relative local paths are resolved against this, as Ray does against the working directory. */
  cwd?: string;
}

/**
 * The most a cluster config file may hold. Ray's biggest example configs are a few KiB; past this, parsing and
 * checking would cost seconds and hundreds of MB for a file that is not a cluster config.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadedConfig {
  file: string;
  config: ClusterConfig;
  /** The first warnings in file order (MAX_PROBLEMS_SHOWN of them at most). */
  warnings: LocatedProblem[];
  /** How many warnings there are in all. */
  warningCount: number;
}

/** Reads, parses, validates and defaults a cluster config. Throws ConfigFileError, ConfigTooLargeError or ConfigError. */
export async function loadConfig(file: string, opts: LoadOptions): Promise<LoadedConfig> {
  return loadConfigText(await readConfigText(file), file, opts);
}

/** As loadConfig, for text already read; `file` names it in messages. */
export async function loadConfigText(text: string, file: string, opts: LoadOptions): Promise<LoadedConfig> {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) throw new ConfigTooLargeError(file, bytes, MAX_CONFIG_BYTES);
  const { source, errors } = parseYaml(text, file);
  if (errors.length > 0) throw new ConfigError(file, errors);
  if (text.trim() === '' || source.doc.contents === null) {
    throw new ConfigError(file, [{
      severity: 'error', file, path: '', line: 1, column: 1, message: 'the file is empty (or only comments)',
      hint: 'start from example-configs/process.yaml',
    }]);
  }
  const raw = toValue(source);
  const problems = validateRaw(raw);
  if (!hasKnownProvider(raw)) stopOnErrors(source, problems);

  // Defaults are applied even to a config with schema errors (they tolerate wrong types), so that one run
  // reports everything; checks on values the schema already rejected are left out.
  const rawMap = raw as Record<string, unknown>;
  const config = applyDefaults(rawMap);
  const schemaErrors = new Set(problems.filter((p) => p.severity === 'error' && p.path.length > 0).map((p) => JSON.stringify(p.path)));
  const coveredBySchema = (path: YamlPath) => path.some((_, i) => schemaErrors.has(JSON.stringify(path.slice(0, i + 1))));
  problems.push(...checkSemantics(config, rawMap, { uid: process.getuid?.() }).filter((p) => !coveredBySchema(p.path)));
  problems.push(...(await missingFiles(config, opts)));
  const { shown, count } = stopOnErrors(source, problems);
  return { file, config, warnings: shown, warningCount: count };
}

function hasKnownProvider(raw: unknown): raw is Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const provider = (raw as Record<string, unknown>).provider;
  const type = typeof provider === 'object' && provider !== null ? (provider as Record<string, unknown>).type : undefined;
  return (PROVIDER_TYPES as readonly unknown[]).includes(type);
}

/** Throws a ConfigError if any problem is an error; else the first warnings, and how many there are. */
function stopOnErrors(source: YamlSource, problems: Problem[]): { shown: LocatedProblem[]; count: number } {
  const located = locateAll(source, problems, formatPath);
  if (located.some((p) => p.severity === 'error')) throw new ConfigError(source.file, located);
  return firstProblems(located);
}

/** Reads the file, refusing one larger than MAX_CONFIG_BYTES before reading it (or, for a pipe, past the limit). */
async function readConfigText(file: string): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const s = await handle.stat();
    if (s.isDirectory()) throw directoryError(file);
    if (s.isFile() && s.size > MAX_CONFIG_BYTES) throw new ConfigTooLargeError(file, s.size, MAX_CONFIG_BYTES);
    // One byte past the limit tells a pipe (or a file still growing) that is too large.
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      length += bytesRead;
      if (bytesRead === 0 || length === buf.length) break;
    }
    if (length > MAX_CONFIG_BYTES) throw new ConfigTooLargeError(file, undefined, MAX_CONFIG_BYTES);
    return buf.toString('utf8', 0, length);
  } catch (e) {
    if (e instanceof ConfigFileError || e instanceof ConfigTooLargeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw directoryError(file);
    if (code === 'ENOENT') {
      throw new ConfigFileError(`config file ${file} does not exist`, { hint: 'check the path; example configs are in example-configs/ (e.g. example-configs/process.yaml)', cause: e });
    }
    if (code === 'EACCES') {
      throw new ConfigFileError(`config file ${file} cannot be read (permission denied)`, { hint: `check its permissions (ls -l ${file})`, cause: e });
    }
    throw new ConfigFileError(`config file ${file} cannot be read: ${(e as Error).message}`, { cause: e });
  } finally {
    await handle?.close();
  }
}

const directoryError = (file: string) => new ConfigFileError(`${file} is a directory, not a cluster config file`, {
  hint: 'pass the path of a .yaml file, e.g. example-configs/process.yaml',
});

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? `${homedir()}${p.slice(1)}` : p;
}

async function missingFiles(c: ClusterConfig, opts: LoadOptions): Promise<Problem[]> {
  const cwd = opts.cwd ?? process.cwd();
  const wanted: { path: (string | number)[]; local: string; what: string }[] = [
    ...Object.entries(c.file_mounts).map(([remote, local]) => ({ path: ['file_mounts', remote], local, what: 'the local source' })),
  ];
  if (c.auth.ssh_private_key) wanted.push({ path: ['auth', 'ssh_private_key'], local: c.auth.ssh_private_key, what: 'the key file' });
  if (c.auth.ssh_public_key) wanted.push({ path: ['auth', 'ssh_public_key'], local: c.auth.ssh_public_key, what: 'the key file' });
  const out: Problem[] = [];
  for (const w of wanted) {
    const full = resolve(cwd, expandHome(w.local));
    try {
      await stat(full);
    } catch {
      out.push({
        severity: opts.missingFiles, path: w.path,
        message: `${w.what} ${full} does not exist${opts.missingFiles === 'warning' ? ' on this machine (`up` will need it)' : ''}`,
        hint: 'fix the path (relative paths start from the current directory)',
      });
    }
  }
  return out;
}
