import { RaylaunchError } from '../common/errors.js';

/** A key path inside the config document: map keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

export type Severity = 'error' | 'warning';

/** One thing wrong with (or worth knowing about) a config, before it is given a place in the file. */
export interface Problem {
  severity: Severity;
  path: YamlPath;
  /** What is wrong, including what was expected. */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** Point at the key itself (unknown or misplaced keys) rather than at its value. */
  at?: 'key' | 'value';
}

/** A problem with its place in the file, as printed and as reported by `validate --json`. */
export interface LocatedProblem {
  severity: Severity;
  file: string;
  /** The YAML path in display form, e.g. available_node_types["ray.worker.gpu"].max_workers. */
  path: string;
  line: number;
  column: number;
  message: string;
  hint?: string;
  /** Source lines around the mistake (YAML syntax errors only). */
  frame?: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Renders a path the way a user would type it: dots between plain keys, brackets for indexes and odd keys. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The config cannot be used: carries every problem found, all at once. Exit 1. */
export class ConfigError extends RaylaunchError {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  readonly exitCode = 1;
  readonly problems: readonly LocatedProblem[];
  readonly file: string;

  constructor(file: string, problems: readonly LocatedProblem[], hint?: string) {
    const errors = problems.filter((p) => p.severity === 'error').length;
    super(`${file}: ${errors} ${errors === 1 ? 'problem' : 'problems'} in the cluster config`, { hint });
    this.file = file;
    this.problems = problems;
  }
}

/** The config file itself cannot be read (missing, a directory, no permission). Exit 1. */
export class ConfigFileError extends RaylaunchError {
  override readonly name = 'ConfigFileError';
  readonly code = 'config_unreadable';
  readonly exitCode = 1;
}
