import { RaylaunchError } from '../src/common/errors.js';

/**
 * The only errors a provider throws. The autoscaler and `up` act on the class (back a node type off, stop,
 * retry), never on the message text; SDK errors are translated at the provider boundary.
 */

/** The provider has no room for the request now: back this node type off and try another. */
export class CapacityError extends RaylaunchError {
  override readonly name = 'CapacityError';
  readonly code = 'provider_capacity';
  readonly exitCode = 1;
  readonly reason: 'capacity' | 'quota';
  constructor(message: string, opts: { reason: 'capacity' | 'quota'; hint?: string; cause?: unknown }) {
    super(message, opts);
    this.reason = opts.reason;
  }
}

/** Credentials are missing, expired or lack a permission: stop and tell the user. */
export class ProviderAuthError extends RaylaunchError {
  override readonly name = 'ProviderAuthError';
  readonly code = 'provider_auth';
  readonly exitCode = 1;
}

/** The provider section or a node_config cannot work (unknown image, bad subnet): stop and tell the user. */
export class ProviderConfigError extends RaylaunchError {
  override readonly name = 'ProviderConfigError';
  readonly code = 'provider_config';
  readonly exitCode = 1;
}

/** A failure that may pass (throttling, a timeout, a 5xx): retry with backoff. */
export class TransientProviderError extends RaylaunchError {
  override readonly name = 'TransientProviderError';
  readonly code = 'provider_transient';
  readonly exitCode = 1;
}

/** Translates a file-system failure of a provider's own files: permissions and wrong paths need the user, the rest may pass. */
export function fsError(action: string, path: string, e: unknown): ProviderConfigError | TransientProviderError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const message = `cannot ${action} ${path}: ${code || String(e)}`;
  if (['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ELOOP'].includes(code)) {
    return new ProviderConfigError(message, { cause: e, hint: 'The cluster state directory must be a directory you can write.' });
  }
  return new TransientProviderError(message, { cause: e });
}
