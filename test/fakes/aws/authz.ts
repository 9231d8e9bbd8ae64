// Who signed a call, and whether a role's policy lets it. Keys that are not IMDS session keys act as the account's
// own user, allowed everything (the CLI's credentials); session keys are held to their role's inline policies.
import type { Cloud, Principal } from './cloud.js';
import { ApiError } from './errors.js';
import { evaluate, type AuthzRequest } from './policy.js';
import type { Signer } from './wire/sigv4.js';

export function principalOf(cloud: Cloud, signer: Signer, allowedKeys: Set<string> | undefined): Principal {
  const { accessKeyId } = signer;
  const ec2 = signer.service === 'ec2';
  const invalid = (why: string): ApiError => ec2
    ? new ApiError('AuthFailure', `AWS was not able to validate the provided access credentials (${why}).`, 401)
    : new ApiError('InvalidClientTokenId', `The security token included in the request is invalid (${why}).`, 403);
  if (cloud.faults.revoked.has(accessKeyId)) throw invalid('the access key was revoked');
  const session = cloud.sessions.get(accessKeyId);
  if (session === undefined) {
    if (accessKeyId.startsWith('ASIA')) throw invalid('no such session');
    if (allowedKeys !== undefined && !allowedKeys.has(accessKeyId)) throw invalid('unknown access key');
    return { kind: 'user', accessKeyId, arn: `arn:aws:iam::${cloud.account}:user/fake-user`, userId: 'AIDAFAKEUSER00000001' };
  }
  if (signer.sessionToken !== session.token) throw invalid('the session token does not match the access key');
  if (cloud.now() >= session.expires) {
    throw ec2 ? new ApiError('AuthFailure', 'The provided credentials have expired.', 401) : new ApiError('ExpiredToken', 'The security token included in the request is expired', 403);
  }
  const role = cloud.roles.get(session.roleName);
  return {
    kind: 'role',
    accessKeyId,
    roleName: session.roleName,
    instanceId: session.instanceId,
    arn: `arn:aws:sts::${cloud.account}:assumed-role/${session.roleName}/${session.instanceId}`,
    userId: `${role?.id ?? 'AROAUNKNOWN'}:${session.instanceId}`,
  };
}

/** Throws UnauthorizedOperation (EC2) or AccessDenied (IAM) unless the role's policies allow every request. */
export function authorize(cloud: Cloud, who: Principal, service: 'ec2' | 'iam', requests: AuthzRequest[]): void {
  if (who.kind === 'user') return;
  const policies = [...(cloud.roles.get(who.roleName)?.policies.values() ?? [])].map((p) => p.doc);
  for (const req of requests) {
    const decision = evaluate(policies, req);
    if (decision === 'allow') continue;
    const why = decision === 'explicit-deny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${req.action} action`;
    const context = Object.entries(req.context).map(([k, v]) => `${k}=${v}`).join(', ');
    const text = `User: ${who.arn} is not authorized to perform: ${req.action} on resource: ${req.resource} ${why}${context === '' ? '' : ` (request context: ${context})`}`;
    throw service === 'ec2'
      ? new ApiError('UnauthorizedOperation', `You are not authorized to perform this operation. ${text}`, 403)
      : new ApiError('AccessDenied', text, 403);
  }
}
