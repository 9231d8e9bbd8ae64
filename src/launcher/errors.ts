import { RaylaunchError } from '../common/errors.js';

/** No cluster by that name is running (or none was ever started here). Exit 1. */
export class ClusterNotFoundError extends RaylaunchError {
  override readonly name = 'ClusterNotFoundError';
  readonly code = 'cluster_not_found';
  readonly exitCode = 1;
}

/** The head did not come up, or nodes did not register in time; the message says which step and why. */
export class ClusterStartError extends RaylaunchError {
  override readonly name = 'ClusterStartError';
  readonly code = 'cluster_start_failed';
  readonly exitCode = 1;
}

/** The job file cannot be bundled (syntax error, missing import, native addon). Exit 1. */
export class JobBundleError extends RaylaunchError {
  override readonly name = 'JobBundleError';
  readonly code = 'job_bundle_failed';
  readonly exitCode = 1;
}

/** The head cannot be reached or refused us. Exit 1. */
export class HeadConnectionError extends RaylaunchError {
  override readonly name = 'HeadConnectionError';
  readonly code = 'head_unreachable';
  readonly exitCode = 1;
}

/** The head would not start the job as asked (a path outside its working directory, a NUL byte); the message says why. Exit 1. */
export class JobRefusedError extends RaylaunchError {
  override readonly name = 'JobRefusedError';
  readonly code = 'job_refused';
  readonly exitCode = 1;
}

/** No job by that id on the cluster. Exit 1. */
export class JobNotFoundError extends RaylaunchError {
  override readonly name = 'JobNotFoundError';
  readonly code = 'job_not_found';
  readonly exitCode = 1;
}

/**
 * What the command would destroy (running jobs, live actors, a whole cluster) needs the user's yes, and there is
 * no terminal to ask on: `-y` gives it. Exit 1.
 */
export class ConfirmationNeededError extends RaylaunchError {
  override readonly name = 'ConfirmationNeededError';
  readonly code = 'confirmation_needed';
  readonly exitCode = 1;
}

/** The user answered no at a prompt; nothing was changed. Exit 1. */
export class CancelledError extends RaylaunchError {
  override readonly name = 'CancelledError';
  readonly code = 'cancelled';
  readonly exitCode = 1;
}

/** The job's own TypeScript found type errors (submit/run --typecheck), or is not installed when asked for. Exit 1. */
export class JobTypecheckError extends RaylaunchError {
  override readonly name = 'JobTypecheckError';
  readonly code = 'job_typecheck_failed';
  readonly exitCode = 1;
}

/** `down` terminated the cluster, but the cloud still holds some of it (named): it may cost money. */
export class CloudLeftoversError extends RaylaunchError {
  override readonly name = 'CloudLeftoversError';
  readonly code = 'cloud_leftovers';
  readonly exitCode = 1;
  readonly remaining: string[];
  constructor(message: string, opts: { remaining: string[]; hint?: string; cause?: unknown }) {
    super(message, opts);
    this.remaining = opts.remaining;
  }
}

/**
 * raylaunch.worker_user cannot work on this machine (the process provider): the user is unknown here, or cannot
 * pass through the folders down to the cluster's, or cannot read the runtime its worker processes load. Exit 1.
 */
export class WorkerUserUnusableError extends RaylaunchError {
  override readonly name = 'WorkerUserUnusableError';
  readonly code = 'worker_user_unusable';
  readonly exitCode = 1;
}
