import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { CapacityError, ProviderAuthError, ProviderConfigError, TransientProviderError } from '../../../../providers/errors.js';
import { type AwsErrorKind, classifyAwsError, toProviderError } from '../../../../providers/aws/errors.js';

/** An error shaped as the SDK's service exceptions are: name = the AWS code, $fault, $metadata. */
const sdk = (name: string, status: number, message = 'm') => Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

describe('AWS error classification', () => {
  const CASES: [string, unknown, AwsErrorKind][] = [
    ['InsufficientInstanceCapacity is capacity', sdk('InsufficientInstanceCapacity', 500), 'capacity'],
    ['InsufficientHostCapacity is capacity', sdk('InsufficientHostCapacity', 400), 'capacity'],
    ['Unsupported (type not in this zone) is capacity', sdk('Unsupported', 400), 'capacity'],
    ['SpotMaxPriceTooLow is capacity', sdk('SpotMaxPriceTooLow', 400), 'capacity'],
    ['MaxSpotInstanceCountExceeded is capacity', sdk('MaxSpotInstanceCountExceeded', 400), 'capacity'],
    ['VcpuLimitExceeded is quota', sdk('VcpuLimitExceeded', 400), 'quota'],
    ['InstanceLimitExceeded is quota', sdk('InstanceLimitExceeded', 400), 'quota'],
    ['UnauthorizedOperation is auth', sdk('UnauthorizedOperation', 403), 'auth'],
    ['AuthFailure is auth', sdk('AuthFailure', 401), 'auth'],
    ['ExpiredToken is auth', sdk('ExpiredToken', 400), 'auth'],
    ['no credentials at all (CredentialsProviderError) is auth', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'auth'],
    ['RequestLimitExceeded (throttled, nothing done) is transient', sdk('RequestLimitExceeded', 503), 'transient'],
    ['a 500 InternalError may have acted: unknown outcome', sdk('InternalError', 500), 'unknown-outcome'],
    ['a 503 Unavailable may have acted: unknown outcome', sdk('Unavailable', 503), 'unknown-outcome'],
    ['a timeout is an unknown outcome', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), 'unknown-outcome'],
    ['a reset connection is an unknown outcome', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'unknown-outcome'],
    ['a fresh instance profile EC2 does not know yet is IAM propagation', sdk('InvalidParameterValue', 400, 'Value (raylaunch-head-x) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'), 'iam-propagation'],
    ['an unknown image is config', sdk('InvalidAMIID.NotFound', 400), 'config'],
    ['another InvalidParameterValue is config', sdk('InvalidParameterValue', 400, 'bad BlockDeviceMappings'), 'config'],
  ];
  for (const [name, e, kind] of CASES) it(name, () => assert.equal(classifyAwsError(e).kind, kind));

  it('capacity and quota become CapacityError with their reason; quota names the Service Quotas page', () => {
    const cap = toProviderError(sdk('InsufficientInstanceCapacity', 500), { action: 'RunInstances' });
    assert.ok(cap instanceof CapacityError && cap.reason === 'capacity');
    const quota = toProviderError(sdk('VcpuLimitExceeded', 400), { action: 'RunInstances' });
    assert.ok(quota instanceof CapacityError && quota.reason === 'quota');
    assert.match(quota.hint ?? '', /servicequotas/);
  });

  it('auth errors say what to set: AWS_PROFILE or aws sso login on the CLI, the instance profile on the head', () => {
    const missing = toProviderError(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }), { action: 'GetCallerIdentity' });
    assert.ok(missing instanceof ProviderAuthError);
    assert.match(missing.hint ?? '', /AWS_PROFILE/);
    assert.match(missing.hint ?? '', /aws sso login/);
    const expired = toProviderError(sdk('ExpiredToken', 400), { action: 'DescribeInstances' });
    assert.match(expired.hint ?? '', /expired/);
    const onHead = toProviderError(sdk('UnauthorizedOperation', 403), { action: 'RunInstances', onHead: true });
    assert.ok(onHead instanceof ProviderAuthError);
    assert.match(onHead.hint ?? '', /instance profile/);
  });

  it('throttling and 5xx are transient, the rest of the client errors a config error', () => {
    assert.ok(toProviderError(sdk('RequestLimitExceeded', 503), { action: 'x' }) instanceof TransientProviderError);
    assert.ok(toProviderError(sdk('InternalError', 500), { action: 'x' }) instanceof TransientProviderError);
    assert.ok(toProviderError(sdk('InvalidSubnetID.NotFound', 400), { action: 'x' }) instanceof ProviderConfigError);
  });
});
