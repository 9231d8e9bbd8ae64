// The CLI's side of a GCP test as a user has it: gcloud's ADC file (an authorized_user credential for the fake's
// dummy user) in the isolated CLOUDSDK_CONFIG, gcloud's token host and Compute endpoint variables at the fake.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DUMMY_USER, type FakeGcp } from '../fakes/gcp/index.js';

/** Sets the variables and writes the ADC file; call after isolateGcpEnv(). */
export function pointCliAtFake(fake: FakeGcp): void {
  const dir = process.env.CLOUDSDK_CONFIG;
  if (!dir) throw new Error('pointCliAtFake needs isolateGcpEnv() first');
  writeFileSync(join(dir, 'application_default_credentials.json'), JSON.stringify({
    type: 'authorized_user', client_id: DUMMY_USER.clientId, client_secret: DUMMY_USER.clientSecret, refresh_token: DUMMY_USER.refreshToken,
  }));
  process.env.CLOUDSDK_AUTH_TOKEN_HOST = fake.tokenUrl;
  process.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE = `${fake.endpoint}/compute/v1/`;
}
