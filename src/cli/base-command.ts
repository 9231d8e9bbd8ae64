import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { RaylaunchError, UsageError } from '../common/errors.js';
import { checkHome } from '../common/home.js';
import { errorJson, renderError } from './render.js';
import { useColour } from './colour.js';

type FlagOutput = Record<string, unknown>;
type ArgOutput = Record<string, unknown>;

/**
 * Every raylaunch command extends this: it turns raylaunch's typed errors into a message, a hint and the
 * error's own exit code (1 for a bad config, 2 only for usage mistakes), and prints a stack only with --debug.
 */
export abstract class BaseCommand extends Command {
  /** Whether the command uses raylaunch's folder (checked before it runs); validate works without one. */
  static needsHome = true;

  static override baseFlags = {
    debug: Flags.boolean({ description: 'Show stack traces and internal detail for errors.', helpGroup: 'GLOBAL' }),
  };

  /**
   * What came after the first `--`: the arguments of the command or job being run, never raylaunch's. oclif's own
   * parser cannot be trusted with them: it matches the positionals it returns back to the command line by value,
   * so a `-c` after `--` (`exec -c NAME -- sh -c 'cmd'`) was taken for raylaunch's cluster flag.
   */
  protected passthrough: string[] = [];

  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv: string[] = this.argv,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const at = argv.indexOf('--');
    if (at < 0) return super.parse(options, argv);
    this.passthrough = argv.slice(at + 1);
    return super.parse(options, argv.slice(0, at));
  }

  override async init(): Promise<void> {
    await super.init();
    if ((this.constructor as typeof BaseCommand).needsHome) checkHome();
  }

  protected get debugRequested(): boolean {
    return this.ownArgv().includes('--debug') || process.env.RAYLAUNCH_DEBUG === '1';
  }

  /** The command line up to the first `--`: what raylaunch itself reads. */
  private ownArgv(): string[] {
    const at = this.argv.indexOf('--');
    return at < 0 ? this.argv : this.argv.slice(0, at);
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
    else process.stderr.write(renderError(shown, this.debugRequested, useColour(process.stderr)));
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
