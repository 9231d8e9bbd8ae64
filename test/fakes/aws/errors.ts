/** An error as AWS answers it: a code the SDK turns into an exception name, and the HTTP status. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** The HTTP status AWS gives each injectable code, so the SDK classifies it (retry, throttle) as it would in AWS. */
export const DEFAULT_STATUS: Record<string, number> = {
  RequestLimitExceeded: 503,
  Throttling: 400,
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  InternalError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  Unavailable: 503,
  InsufficientInstanceCapacity: 500,
  InsufficientHostCapacity: 500,
  InvalidClientTokenId: 403,
  AccessDenied: 403,
};
