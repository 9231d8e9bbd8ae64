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
  /**
   * A "did you mean" still to be searched for: worked out only for the problems reported (a file of 20,000 unknown
   * keys gets 50 searches, not 20,000). When it finds something it replaces `hint`.
   */
  suggest?: () => string | undefined;
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

/** A located problem whose "did you mean" may still be to be worked out. */
export interface PendingProblem extends LocatedProblem {
  suggest?: () => string | undefined;
}

/** At most this many problems are reported (printed, or listed by --json); the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 50;

/** The first problems in file order, their suggestions worked out, and how many there were in all. */
export function firstProblems(problems: readonly PendingProblem[]): { shown: LocatedProblem[]; count: number } {
  const shown = [...problems].sort((a, b) => a.line - b.line || a.column - b.column).slice(0, MAX_PROBLEMS_SHOWN)
    .map(({ suggest, ...p }) => {
      const hint = suggest?.();
      return hint ? { ...p, hint } : p;
    });
  return { shown, count: problems.length };
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

/**
 * The config cannot be used: every problem is found at once; the first MAX_PROBLEMS_SHOWN in file order are kept,
 * and the rest counted. Exit 1.
 */
export class ConfigError extends RaylaunchError {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  readonly exitCode = 1;
  /** The first problems in file order (errors and warnings). */
  readonly problems: readonly LocatedProblem[];
  /** How many problems there are in all, of which `problems` holds the first. */
  readonly problemCount: number;
  readonly file: string;

  constructor(file: string, problems: readonly PendingProblem[], opts: { hint?: string; cause?: unknown } = {}) {
    const errors = problems.filter((p) => p.severity === 'error').length;
    super(`${file}: ${errors} ${errors === 1 ? 'problem' : 'problems'} in the cluster config`, opts);
    const { shown, count } = firstProblems(problems);
    this.file = file;
    this.problems = shown;
    this.problemCount = count;
  }
}

const mib = (n: number) => `${Number.isInteger(n / 1024 / 1024) ? n / 1024 / 1024 : (n / 1024 / 1024).toFixed(1)} MiB`;

/** The config file is larger than raylaunch reads (MAX_CONFIG_BYTES); nothing of it was parsed. Exit 1. */
export class ConfigTooLargeError extends RaylaunchError {
  override readonly name = 'ConfigTooLargeError';
  readonly code = 'config_too_large';
  readonly exitCode = 1;
  readonly file: string;
  /** The file's size, when known (a pipe is only known to be larger than the limit). */
  readonly bytes: number | undefined;
  readonly limit: number;

  constructor(file: string, bytes: number | undefined, limit: number) {
    const size = bytes === undefined ? '' : `${bytes < limit * 1.1 ? `${bytes.toLocaleString('en')} bytes` : mib(bytes)}: `;
    super(`config file ${file} is ${size}more than the ${mib(limit)} raylaunch reads as a cluster config`, {
      hint: `check that ${file} is the config you meant; keep large data out of it (file_mounts can copy files to the nodes)`,
    });
    this.file = file;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The config file itself cannot be read (missing, a directory, no permission). Exit 1. */
export class ConfigFileError extends RaylaunchError {
  override readonly name = 'ConfigFileError';
  readonly code = 'config_unreadable';
  readonly exitCode = 1;
}
