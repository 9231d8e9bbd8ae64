import { RaylaunchError } from '../common/errors.js';
import { ConfigError, type LocatedProblem, MAX_PROBLEMS_SHOWN } from '../config/problems.js';
import { paint } from './colour.js';
import { printableText } from './printable.js';

/** `file:line:col: severity: path: message`, then the hint and any code frame, indented. */
export function renderProblem(p: LocatedProblem, colour = false): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  const severity = paint(colour, p.severity === 'error' ? 'red' : 'yellow', `${p.severity}:`);
  const lines = [`${where}: ${severity} ${p.path ? `${p.path}: ` : ''}${p.message}`];
  if (p.frame) lines.push(...p.frame.split('\n').map((l) => `    ${l}`));
  if (p.hint) lines.push(`    hint: ${p.hint}`);
  return lines.join('\n');
}

/** "… and 10 more warnings (the first 50 are shown)", or nothing when none were left out. */
export function moreLine(left: number, what: 'problem' | 'warning'): string | undefined {
  return left > 0 ? `… and ${left} more ${what}${left === 1 ? '' : 's'} (the first ${MAX_PROBLEMS_SHOWN} are shown)` : undefined;
}

/** What a user sees for an error: message and hint; a stack only when asked for. */
export function renderError(err: unknown, debug: boolean, colour = false): string {
  const out: string[] = [];
  const error = paint(colour, 'red', 'error:');
  if (err instanceof ConfigError) {
    out.push(...err.problems.map((p) => renderProblem(p, colour)));
    const more = moreLine(err.problemCount - err.problems.length, 'problem');
    if (more) out.push(more);
  }
  // Messages carry what a node or the head said (an SSH error, a setup command's last lines): shown, never obeyed.
  out.push(`${error} ${printableText(err instanceof Error ? err.message : String(err))}`);
  const hint = err instanceof RaylaunchError ? err.hint : undefined;
  if (hint) out.push(`${paint(colour, 'cyan', 'hint:')} ${printableText(hint)}`);
  if (debug && err instanceof Error && err.stack) out.push(err.stack);
  return `${out.join('\n')}\n`;
}

/** The --json form of an error: a stable shape (see schemas/output/*.schema.json). */
export function errorJson(err: unknown): {
  ok: false; error: { code: string; message: string; hint?: string; problems?: readonly LocatedProblem[]; problem_count?: number };
} {
  if (err instanceof RaylaunchError) {
    return {
      ok: false,
      error: {
        code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}),
        ...(err instanceof ConfigError ? { problems: err.problems, problem_count: err.problemCount } : {}),
      },
    };
  }
  return { ok: false, error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } };
}
