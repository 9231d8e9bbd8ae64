import { RaylaunchError } from '../common/errors.js';

export type UpdateStep = 'waiting-for-ssh' | 'syncing-files' | 'setting-up' | 'starting';

/**
 * A node's update failed after its attempts: which node and step, and for a command its exit code and the last
 * lines it printed, so the user sees the cause without opening a log.
 */
export class NodeUpdateError extends RaylaunchError {
  override readonly name = 'NodeUpdateError';
  readonly code = 'node_update_failed';
  readonly exitCode = 1;

  constructor(
    readonly nodeId: string,
    readonly host: string,
    readonly step: UpdateStep,
    message: string,
    opts: { hint?: string; cause?: unknown; command?: string; commandExitCode?: number; lastLines?: string[]; retryable?: boolean } = {},
  ) {
    super(message, opts);
    this.command = opts.command;
    this.commandExitCode = opts.commandExitCode;
    this.lastLines = opts.lastLines ?? [];
    this.retryable = opts.retryable ?? true;
  }

  readonly command: string | undefined;
  readonly commandExitCode: number | undefined;
  readonly lastLines: string[];
  /** false for what another attempt cannot fix (a changed host key, Node.js missing, a local file missing) */
  readonly retryable: boolean;
}
