/** The failures of opening a GCS store that the operator fixes in the config (the head stops with one of these). */
import { RaylaunchError } from '../../common/errors.js';

interface Where {
  url: string;
  passwordFrom: string;
}

/** Redis refused the login: the password (or user) is wrong or missing. */
export class GcsStoreAuthError extends RaylaunchError {
  override readonly name = 'GcsStoreAuthError';
  readonly code = 'gcs-store-auth';
  readonly exitCode = 1;
  constructor(where: Where, cause: Error) {
    const from = where.passwordFrom === 'none' ? 'no password was given' : `the password came from ${where.passwordFrom === 'url' ? 'the URL in raylaunch.gcs_storage' : where.passwordFrom}`;
    super(`the GCS store at ${where.url} refused the login (${cause.message.split('\n')[0]}); ${from}`, {
      hint: 'set the right password in raylaunch.gcs_storage_password_file (a file on the head), the environment variable RAYLAUNCH_GCS_REDIS_PASSWORD, or the URL of raylaunch.gcs_storage',
      cause,
    });
  }
}

/** Redis did not answer when the head opened its store. */
export class GcsStoreUnreachableError extends RaylaunchError {
  override readonly name = 'GcsStoreUnreachableError';
  readonly code = 'gcs-store-unreachable';
  readonly exitCode = 1;
  constructor(where: Where, cause: Error) {
    super(`the GCS store at ${where.url} could not be reached: ${cause.message.split('\n')[0]}`, {
      hint: 'check raylaunch.gcs_storage (host, port, db, redis:// or rediss://) and that the head can reach that address',
      cause,
    });
  }
}
