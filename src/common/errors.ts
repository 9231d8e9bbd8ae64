/**
 * raylaunch's error vocabulary at the CLI edge: every failure a user can act on is one class with a code, a
 * hint and its own exit code. The base command prints message and hint; a stack only with --debug.
 */
export abstract class RaylaunchError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.hint = opts.hint;
  }
}

/** A usage mistake on the command line (wrong flag combination, missing argument). Exit 2. */
export class UsageError extends RaylaunchError {
  override readonly name = 'UsageError';
  readonly code = 'usage';
  readonly exitCode = 2;
}
