/**
 * Compute Engine errors translated at the provider's edge into the four classes the autoscaler and `up` act on.
 * Errors reach the provider two ways: a call refused outright (google-gax's REST transport raises a GaxiosError
 * whose message is GCE's JSON error body, `{error: {code, message, errors: [{reason}], details}}`), and an
 * operation that finished with an error (`error.errors[].code`, `httpErrorStatusCode`), which is where capacity
 * and quota failures arrive. Pure.
 */
import { CapacityError, ProviderAuthError, ProviderConfigError, TransientProviderError } from '../errors.js';

export type GcpErrorKind =
  /** No room in this zone now: try the next zone of the region, then back the type off. */
  | 'capacity'
  | 'quota'
  | 'auth'
  /** The Compute Engine API is not enabled in the project. */
  | 'api-disabled'
  /** Throttled, refused before acting: retry with backoff. */
  | 'transient'
  /** A 5xx, a timeout or a dropped connection: the call may have acted; repeat it with the same requestId. */
  | 'unknown-outcome'
  | 'not-found'
  | 'exists'
  | 'config';

export interface GcpErrorInfo {
  kind: GcpErrorKind;
  /** HTTP status (0 when the call never got an answer). */
  status: number;
  /** errors[0].reason of a refused call, or errors[0].code of a failed operation (QUOTA_EXCEEDED, …). */
  code: string;
  message: string;
  /** The API named by a SERVICE_DISABLED detail (compute.googleapis.com). */
  service?: string;
}

interface GceBody {
  error?: { code?: number; message?: string; errors?: { reason?: string; message?: string }[]; details?: { reason?: string; metadata?: Record<string, string> }[] };
}

/** An operation's error part, as Compute returns it. */
export interface OperationError {
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
  httpErrorStatusCode?: number | null;
}

const CAPACITY = new Set(['ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', 'RESOURCE_AVAILABILITY', 'RESOURCE_POOL_EXHAUSTED', 'STOCKOUT']);
const QUOTA = new Set(['QUOTA_EXCEEDED', 'quotaExceeded']);
const AUTH = new Set(['authError', 'required', 'forbidden', 'insufficientPermissions', 'unauthorized', 'invalid_grant', 'PERMISSION_DENIED']);
const THROTTLED = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ABORT_ERR']);
/** What google-auth-library says when no credential is found or a refresh token is refused. */
const NO_CREDENTIALS = /Could not load the default credentials|invalid_grant|invalid_client|unauthorized_client|Could not refresh access token|No access, refresh token/i;

/** The JSON error body in a refused call: the response's data, else the message text (google-gax 5's REST transport). */
function bodyOf(e: { message?: unknown; response?: { data?: unknown } }): GceBody | undefined {
  const data = e.response?.data;
  if (typeof data === 'object' && data !== null && 'error' in data) return data as GceBody;
  const text = typeof data === 'string' ? data : typeof e.message === 'string' ? e.message : '';
  const at = text.indexOf('{');
  if (at < 0) return undefined;
  try {
    const parsed = JSON.parse(text.slice(at)) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'error' in parsed ? parsed as GceBody : undefined;
  } catch {
    return undefined;
  }
}

function kindOf(status: number, code: string, message: string): GcpErrorKind {
  if (CAPACITY.has(code)) return 'capacity';
  if (QUOTA.has(code)) return 'quota';
  if (code === 'accessNotConfigured' || code === 'SERVICE_DISABLED') return 'api-disabled';
  if (THROTTLED.has(code) || status === 429) return 'transient';
  if (AUTH.has(code) || status === 401 || (status === 403 && code === '')) return 'auth';
  if (status === 404 || code === 'notFound' || code === 'RESOURCE_NOT_FOUND') return 'not-found';
  if (status === 409 || code === 'alreadyExists' || code === 'RESOURCE_ALREADY_EXISTS') return 'exists';
  if (status >= 500) return 'unknown-outcome';
  if (status >= 400) return 'config';
  if (NO_CREDENTIALS.test(message)) return 'auth';
  return 'unknown-outcome';
}

/** What a thrown error from the client library means. */
export function classifyGcpError(e: unknown): GcpErrorInfo {
  const x = (typeof e === 'object' && e !== null ? e : {}) as { message?: unknown; status?: unknown; code?: unknown; response?: { status?: unknown; data?: unknown } };
  const body = bodyOf(x);
  const message = body?.error?.message ?? (typeof x.message === 'string' ? x.message : String(e));
  const status = body?.error?.code ?? (typeof x.status === 'number' ? x.status : typeof x.response?.status === 'number' ? x.response.status : 0);
  const reason = body?.error?.errors?.[0]?.reason ?? '';
  const disabled = body?.error?.details?.find((d) => d.reason === 'SERVICE_DISABLED');
  const errno = typeof x.code === 'string' ? x.code : '';
  if (status === 0 && NETWORK.has(errno)) return { kind: 'unknown-outcome', status, code: errno, message };
  const code = disabled && reason === '' ? 'SERVICE_DISABLED' : reason;
  const info: GcpErrorInfo = { kind: kindOf(status, code, message), status, code: code || (status ? String(status) : errno || 'Error'), message };
  const service = disabled?.metadata?.service;
  if (service) info.service = service;
  return info;
}

/** What a finished operation's error means (undefined: it succeeded). */
export function classifyOperationError(op: OperationError): GcpErrorInfo | undefined {
  const first = op.error?.errors?.[0];
  if (!first) return undefined;
  const code = first.code ?? '';
  const message = (op.error?.errors ?? []).map((x) => x.message ?? x.code ?? '').join('; ');
  return { kind: kindOf(op.httpErrorStatusCode ?? 0, code, message), status: op.httpErrorStatusCode ?? 0, code, message };
}

export interface GcpErrorContext {
  action: string;
  /** e.g. "2 × n1-standard-4 (ray_worker_small) in us-west1-b" */
  what?: string;
  project?: string;
  /** On the head, credentials come from the metadata server; on the CLI from ADC. */
  onHead?: boolean;
}

export type ProviderError = CapacityError | ProviderAuthError | ProviderConfigError | TransientProviderError;

const isProviderError = (e: unknown): e is ProviderError =>
  e instanceof CapacityError || e instanceof ProviderAuthError || e instanceof ProviderConfigError || e instanceof TransientProviderError;

/** The provider error for a classified failure. */
export function providerError(info: GcpErrorInfo, ctx: GcpErrorContext, cause?: unknown): ProviderError {
  const about = `${ctx.action}${ctx.what ? ` (${ctx.what})` : ''}`;
  const said = `${info.code}: ${info.message}`;
  const project = ctx.project ? ` --project ${ctx.project}` : '';
  switch (info.kind) {
    case 'capacity':
      return new CapacityError(`Compute Engine has no capacity for ${about}: ${said}`, { reason: 'capacity', cause, hint: 'raylaunch tries the other zones of the region, then backs this node type off; another machineType or region may have room' });
    case 'quota':
      return new CapacityError(`a Compute Engine quota stops ${about}: ${said}`, { reason: 'quota', cause, hint: `raise the quota named above on the Quotas page: https://console.cloud.google.com/iam-admin/quotas${ctx.project ? `?project=${ctx.project}` : ''}` });
    case 'auth':
      return new ProviderAuthError(`Google Cloud refused ${about}: ${said}`, { cause, hint: authHint(info, ctx.onHead === true) });
    case 'api-disabled':
      return new ProviderConfigError(`the Compute Engine API is not enabled${ctx.project ? ` in project ${ctx.project}` : ''}: ${info.message}`, {
        cause, hint: `enable it: gcloud services enable ${info.service ?? 'compute.googleapis.com'}${project} (then wait a minute and run up again)`,
      });
    case 'transient':
    case 'unknown-outcome':
      return new TransientProviderError(`${about} failed for now: ${said}`, { cause, hint: 'retried with backoff' });
    case 'not-found':
    case 'exists':
    case 'config':
      return new ProviderConfigError(`${about} was refused: ${said}`, { cause, hint: 'check the provider section and node_config against the message' });
  }
}

/** The provider error for anything the client library threw. */
export function toProviderError(e: unknown, ctx: GcpErrorContext): ProviderError {
  if (isProviderError(e)) return e;
  return providerError(classifyGcpError(e), ctx, e);
}

function authHint(info: GcpErrorInfo, onHead: boolean): string {
  if (onHead) return 'the head uses its service account through the metadata server: check that the account exists and that its node_config scopes include compute; the head retries with a long backoff';
  if (NO_CREDENTIALS.test(info.message) || info.status === 401) {
    return 'no usable Google credentials: run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file';
  }
  return 'the credentials lack a permission raylaunch needs (README: Clusters on GCP): use an account with roles/compute.instanceAdmin.v1 and compute.securityAdmin on the project';
}
