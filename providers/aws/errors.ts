/**
 * SDK errors translated at the provider's edge into the four classes the autoscaler and `up` act on. Pure: it
 * reads only the error's name, HTTP status and fault, which is all the SDK's service exceptions carry that a
 * caller may rely on.
 */
import { CapacityError, ProviderAuthError, ProviderConfigError, TransientProviderError } from '../errors.js';

/** What an SDK error means for the call that raised it. */
export type AwsErrorKind =
  /** No room in this subnet/zone for this request: try the next zone, then back the type off. */
  | 'capacity'
  /** An account limit: back off longer, name the limit. */
  | 'quota'
  | 'auth'
  /** Throttled or refused before anything was created: retry with backoff, a new token is fine. */
  | 'transient'
  /** A timeout, a dropped connection or a 5xx: the call may have succeeded; retry with the same ClientToken. */
  | 'unknown-outcome'
  /** A fresh instance profile EC2 does not know yet (IAM propagation): retry for up to a minute. */
  | 'iam-propagation'
  | 'config';

export interface AwsErrorInfo {
  kind: AwsErrorKind;
  /** The AWS error code (or the JavaScript error's name when there is none). */
  code: string;
  message: string;
}

const CAPACITY = new Set([
  'InsufficientInstanceCapacity', 'InsufficientHostCapacity', 'InsufficientCapacity', 'InsufficientReservedInstanceCapacity',
  'Unsupported', 'SpotMaxPriceTooLow', 'MaxSpotInstanceCountExceeded', 'InsufficientFreeAddressesInSubnet',
]);
const QUOTA = new Set(['VcpuLimitExceeded', 'InstanceLimitExceeded', 'ResourceLimitExceeded']);
const AUTH = new Set([
  'UnauthorizedOperation', 'AuthFailure', 'AccessDenied', 'AccessDeniedException', 'CredentialsProviderError', 'ExpiredToken',
  'ExpiredTokenException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'MissingAuthenticationToken',
  'InvalidAccessKeyId', 'TokenProviderError', 'RequestExpired',
]);
const THROTTLED = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'Throttled', 'RequestThrottled']);
/** Errors raised before or while the request was on the wire: EC2 may have acted on it. */
const NETWORK = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'NetworkingError']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function classifyAwsError(e: unknown): AwsErrorInfo {
  const s = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const code = [s.Code, s.name, s.code].find((v): v is string => typeof v === 'string' && v !== '' && v !== 'Error') ?? 'Error';
  const message = typeof s.message === 'string' ? s.message : String(e);
  const status = typeof s.$metadata?.httpStatusCode === 'number' ? s.$metadata.httpStatusCode : undefined;
  const errno = typeof s.code === 'string' ? s.code : '';
  const kind = ((): AwsErrorKind => {
    if (CAPACITY.has(code)) return 'capacity';
    if (QUOTA.has(code)) return 'quota';
    if (AUTH.has(code)) return 'auth';
    if (THROTTLED.has(code)) return 'transient';
    // EC2's word for "that instance profile does not exist (yet)": IAM is eventually consistent.
    if (code === 'InvalidParameterValue' && /iam instance profile/i.test(message)) return 'iam-propagation';
    if (NETWORK.has(code) || NETWORK.has(errno)) return 'unknown-outcome';
    if (s.$fault === 'server' || (status !== undefined && status >= 500)) return 'unknown-outcome';
    if (s.$fault === 'client' || (status !== undefined && status >= 400)) return 'config';
    // Neither a service answer nor a known network failure: the request may have gone out.
    return 'unknown-outcome';
  })();
  return { kind, code, message };
}

/** Where the failing call was made, for the messages: the action and what it was for. */
export interface AwsErrorContext {
  action: string;
  /** e.g. "2 × m5.large (ray.worker.default) in us-west-2a" */
  what?: string;
  /** On the head, credentials come from the instance profile; on the CLI from the user's chain. */
  onHead?: boolean;
}

const QUOTA_PAGE = 'https://console.aws.amazon.com/servicequotas/home/services/ec2/quotas';

/** The provider error for an SDK error. */
export function toProviderError(e: unknown, ctx: AwsErrorContext): CapacityError | ProviderAuthError | ProviderConfigError | TransientProviderError {
  if (e instanceof CapacityError || e instanceof ProviderAuthError || e instanceof ProviderConfigError || e instanceof TransientProviderError) return e;
  const info = classifyAwsError(e);
  const about = `${ctx.action}${ctx.what ? ` (${ctx.what})` : ''}`;
  const said = `${info.code}: ${info.message}`;
  switch (info.kind) {
    case 'capacity':
      return new CapacityError(`EC2 has no capacity for ${about}: ${said}`, { reason: 'capacity', cause: e, hint: 'raylaunch tries the next availability zone, then backs this node type off; list more zones in provider.availability_zone or another InstanceType' });
    case 'quota':
      return new CapacityError(`an EC2 account limit stops ${about}: ${said}`, { reason: 'quota', cause: e, hint: `raise the limit (${info.code === 'VcpuLimitExceeded' ? 'Running On-Demand/Spot instances, counted in vCPUs' : 'the instance limit'}) on the Service Quotas page: ${QUOTA_PAGE}` });
    case 'auth':
      return new ProviderAuthError(`AWS refused ${about}: ${said}`, { cause: e, hint: authHint(info.code, ctx.onHead === true) });
    case 'transient':
    case 'unknown-outcome':
    case 'iam-propagation':
      return new TransientProviderError(`${about} failed for now: ${said}`, { cause: e, hint: 'retried with backoff' });
    case 'config':
      return new ProviderConfigError(`${about} was refused: ${said}`, { cause: e, hint: 'check the provider section and node_config against the message' });
  }
}

function authHint(code: string, onHead: boolean): string {
  if (onHead) return 'the head uses its instance profile (raylaunch-created role): run raylaunch up again to restore its policy; the head retries with a long backoff';
  if (code === 'CredentialsProviderError' || code === 'TokenProviderError') {
    return 'no AWS credentials found: set AWS_PROFILE (see ~/.aws/config), run `aws sso login` for an SSO profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  if (/Expired/.test(code) || code === 'RequestExpired') return 'the AWS credentials have expired: run `aws sso login` (SSO profiles) or renew the session token in AWS_SESSION_TOKEN';
  if (code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException') {
    return 'the credentials lack a permission raylaunch needs (README: AWS → permissions): use a profile that has it (AWS_PROFILE)';
  }
  return 'the AWS credentials were rejected: check AWS_PROFILE / AWS_ACCESS_KEY_ID, or run `aws sso login`';
}
