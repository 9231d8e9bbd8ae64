/** The Jobs API's failures, one class per failure a caller can act on; `status` is the HTTP status (0: none). */
export class JobsApiError extends Error {
  override readonly name: string = 'JobsApiError';
  constructor(message: string, readonly status: number, opts?: { cause?: unknown }) {
    super(message, opts);
  }
}

/** No operator credential, or one the head does not take (401), or a credential that may not use the API (403). */
export class JobsAuthError extends JobsApiError {
  override readonly name: string = 'JobsAuthError';
}

/** No job by that id on the cluster (404). */
export class JobNotFoundError extends JobsApiError {
  override readonly name: string = 'JobNotFoundError';
}

/**
 * The head would not take the request as sent (400: the message names the field and what to do; 409: the
 * submission id is taken, or the job to delete has not ended; 413: a package over the cluster's upload limit).
 */
export class JobRequestError extends JobsApiError {
  override readonly name: string = 'JobRequestError';
  /** The package the head lacks (it keeps packages as a cache), when that is why: upload it and submit again. */
  missingPackage?: string;
}

/** The head could not be reached, or did not come back within the reconnect timeout. */
export class HeadUnreachableError extends JobsApiError {
  override readonly name: string = 'HeadUnreachableError';
}

/** The error for an HTTP failure with the head's message. */
export function errorFor(status: number, message: string, missingPackage?: string | null): JobsApiError {
  if (missingPackage) return Object.assign(new JobRequestError(message, status), { missingPackage });
  if (status === 401 || status === 403) return new JobsAuthError(message, status);
  if (status === 404) return new JobNotFoundError(message, status);
  if (status === 400 || status === 409 || status === 413) return new JobRequestError(message, status);
  if (status === 502 || status === 503) return new HeadUnreachableError(message, status);
  return new JobsApiError(message, status);
}
