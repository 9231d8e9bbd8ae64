import { RaylaunchRuntimeError } from './errors.js';

/**
 * The head refused the credential (HTTP 401). Not part of the job API: a driver reconnecting after a drop takes it
 * as final (its job ended while it was away, so its credential was revoked), not as a head still starting.
 */
export class CredentialRefusedError extends RaylaunchRuntimeError {
  override name = 'CredentialRefusedError';
}

/** The head answered a hello with its refusal (a `fatal`: the job is not running there, say). */
export class HelloRefusedError extends RaylaunchRuntimeError {
  override name = 'HelloRefusedError';
}
