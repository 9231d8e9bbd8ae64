// Compute's error body, as the REST API answers it and google-gax parses it: `error.code` is the HTTP status,
// `error.errors[].reason` the Apiary reason callers act on, `error.status` the canonical gRPC name.
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION', 413: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE',
};

export class GceError extends Error {
  constructor(
    readonly status: number,
    /** errors[0].reason: invalid, notFound, alreadyExists, forbidden, accessNotConfigured, rateLimitExceeded, … */
    readonly reason: string,
    message: string,
    readonly domain = 'global',
    /** google.rpc details (ErrorInfo, BadRequest, Help) when GCE sends them */
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'GceError';
  }

  body(): unknown {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
        status: STATUS_NAMES[this.status] ?? 'UNKNOWN',
        ...(this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

export function notFound(path: string): GceError {
  return new GceError(404, 'notFound', `The resource '${path}' was not found`);
}

export function invalidField(field: string, value: unknown, why: string): GceError {
  return new GceError(400, 'invalid', `Invalid value for field '${field}': '${typeof value === 'string' ? value : JSON.stringify(value)}'. ${why}`);
}

/** What GCE's JSON front end answers for a body that does not fit the schema (before any field is looked at). */
export function badPayload(description: string, field: string): GceError {
  return new GceError(400, 'invalid', `Invalid JSON payload received. ${description}`, 'global', [
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: `Invalid JSON payload received. ${description}` }] },
  ]);
}

/** An error inside an operation (operation.error.errors[]), with the HTTP status GCE reports beside it. */
export interface OperationError {
  code: string;
  message: string;
  errorDetails?: unknown[];
  httpStatus: number;
}
