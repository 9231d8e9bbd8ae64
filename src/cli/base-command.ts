import { Command, Errors, Flags } from '@oclif/core';
import { RaylaunchError, UsageError } from '../common/errors.js';
import { errorJson, renderError } from './render.js';

/**
 * Every raylaunch command extends this: it turns raylaunch's typed errors into a message, a hint and the
 * error's own exit code (1 for a bad config, 2 only for usage mistakes), and prints a stack only with --debug.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'Show stack traces and internal detail for errors.', helpGroup: 'GLOBAL' }),
  };

  protected get debugRequested(): boolean {
    return this.argv.includes('--debug') || process.env.RAYLAUNCH_DEBUG === '1';
  }

  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    let code: number;
    let shown: unknown = err;
    if (err instanceof RaylaunchError) {
      code = err.exitCode;
    } else if (err instanceof Errors.CLIError && err.oclif?.exit === 2) {
      // oclif's own parse errors (missing argument, unknown flag): a usage mistake.
      code = 2;
      shown = new UsageError(err.message.replace(/^Error: /, '').replace(/\n?See more help with --help$/, ''), { hint: this.id ? `see raylaunch ${this.id} --help` : 'see raylaunch --help' });
    } else {
      code = 1;
      if (!this.debugRequested) shown = new InternalError(err);
    }
    if (this.jsonEnabled()) this.logJson(errorJson(shown));
    else process.stderr.write(renderError(shown, this.debugRequested));
    if (this.debugRequested && shown !== err && err.stack) process.stderr.write(`${err.stack}\n`);
    return this.exit(code);
  }
}

/** Anything not anticipated is a bug in raylaunch, said as such (the stack is one --debug away). */
class InternalError extends RaylaunchError {
  override readonly name = 'InternalError';
  readonly code = 'internal';
  readonly exitCode = 1;
  constructor(cause: Error) {
    super(`raylaunch failed unexpectedly: ${cause.message}`, { hint: 'this is a bug in raylaunch; rerun with --debug and report the output', cause });
  }
}
