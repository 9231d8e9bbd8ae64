// Google's OAuth 2.0 token endpoint, for the refresh-token grant an authorized_user credential (gcloud's ADC file)
// makes: the fake answers with an access token the Compute API then accepts as that user.
import type { Cloud } from './cloud.js';

export const USER_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/** Answers a POST to the token endpoint; `users` maps refresh tokens to the account they belong to. */
export function tokenGrant(cloud: Cloud, users: Map<string, string>, form: URLSearchParams): { status: number; body: unknown } {
  const grant = form.get('grant_type');
  if (grant !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${grant ?? ''}` } };
  if ((form.get('client_id') ?? '') === '' || (form.get('client_secret') ?? '') === '') return { status: 401, body: { error: 'invalid_client', error_description: 'The OAuth client was not found.' } };
  const email = users.get(form.get('refresh_token') ?? '');
  if (email === undefined || cloud.faults.revoked.has(email)) return { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
  const t = cloud.issueToken(email, 'user', USER_SCOPES);
  return { status: 200, body: { access_token: t.token, expires_in: Math.floor(cloud.opts.tokenLifetimeMs / 1000), scope: USER_SCOPES.join(' '), token_type: 'Bearer' } };
}
