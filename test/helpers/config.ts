import { loadConfigText, type LoadedConfig } from '../../src/config/load.js';
import { ConfigError, type LocatedProblem } from '../../src/config/problems.js';

export type Outcome = { ok: true; loaded: LoadedConfig } | { ok: false; problems: readonly LocatedProblem[] };

/** Loads YAML text as `validate` would (missing referenced files are warnings); never throws for bad configs. */
export async function check(text: string, file = 'cluster.yaml'): Promise<Outcome> {
  try {
    return { ok: true, loaded: await loadConfigText(text, file, { missingFiles: 'warning', cwd: '/nonexistent-dir' }) };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, problems: e.problems };
    throw e;
  }
}

export async function errorsOf(text: string): Promise<LocatedProblem[]> {
  const r = await check(text);
  if (r.ok) throw new Error(`expected errors, got a valid config:\n${text}`);
  return r.problems.filter((p) => p.severity === 'error');
}

export async function valid(text: string): Promise<LoadedConfig> {
  const r = await check(text);
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`).join('\n')}`);
  return r.loaded;
}

/** One line per problem, the way tests compare them: "line:col path: message". */
export const brief = (p: LocatedProblem) => `${p.line}:${p.column} ${p.path}: ${p.message}`;
