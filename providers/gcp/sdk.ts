/**
 * @google-cloud/compute and google-auth-library, loaded only when a gcp cluster is used (the import takes seconds).
 * Credentials come only through Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC
 * file, and on the head the metadata server, which GCE_METADATA_HOST may move); Ray's gcp_credentials are the
 * CLI's alone. The endpoint is gcloud's own CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE, and gcloud's
 * CLOUDSDK_AUTH_TOKEN_HOST moves the token endpoint a user credential refreshes at.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type {
  FirewallsClient, GlobalOperationsClient, ImagesClient, InstancesClient, MachineTypesClient, ProjectsClient, RegionsClient, ZoneOperationsClient,
} from '@google-cloud/compute';
import type { GoogleAuth } from 'google-auth-library';
import type { GcpProviderConfig } from '../../src/config/types.js';
import { ProviderConfigError } from '../errors.js';

/** gcloud's variable for the Compute API's endpoint (`https://host/compute/v1/`); the head's service gets it too. */
export const COMPUTE_ENDPOINT_VAR = 'CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE';
/** gcloud's variable (property auth/token_host) for the OAuth token endpoint. */
export const TOKEN_HOST_VAR = 'CLOUDSDK_AUTH_TOKEN_HOST';

/**
 * The call options of every `*Async` (paged) call. google-gax's async iterators page one by one whatever they are
 * told, but its default (autoPaginate true) makes each such call print an AutopaginateTrueWarning to the user's
 * terminal: saying false, which is what they do anyway, keeps it quiet. A fresh object per call: the client writes
 * its request headers into the options it is given.
 */
export const paged = (): { autoPaginate: false } => ({ autoPaginate: false });

export interface GcpClients {
  instances: InstancesClient;
  zoneOperations: ZoneOperationsClient;
  globalOperations: GlobalOperationsClient;
  firewalls: FirewallsClient;
  images: ImagesClient;
  machineTypes: MachineTypesClient;
  projects: ProjectsClient;
  regions: RegionsClient;
  close(): Promise<void>;
}

/**
 * The clients' options for an endpoint written as gcloud's override is: the REST transport (Compute has no gRPC),
 * that host and port, and plain http when the URL says so.
 */
export function endpointOptions(override: string | undefined): { apiEndpoint?: string; port?: number; protocol?: string; fallback: true } {
  if (!override) return { fallback: true };
  let u: URL;
  try {
    u = new URL(override);
  } catch {
    throw new ProviderConfigError(`${COMPUTE_ENDPOINT_VAR} is not a URL: ${override}`, { hint: 'gcloud\'s form: https://compute.googleapis.com/compute/v1/' });
  }
  const port = u.port === '' ? (u.protocol === 'http:' ? 80 : 443) : Number(u.port);
  return { apiEndpoint: u.hostname.replace(/^\[(.*)\]$/, '$1'), port, protocol: u.protocol.replace(':', ''), fallback: true };
}

/** The credential's source, decided before google-auth-library is asked. Pure. */
export type AuthChoice =
  | { kind: 'service-account'; credentials: Record<string, unknown> }
  | { kind: 'token'; token: string }
  | { kind: 'adc'; keyFilename?: string; tokenUrl?: string };

export function authChoice(p: GcpProviderConfig, env: NodeJS.ProcessEnv, fileExists: (path: string) => boolean = existsSync): AuthChoice {
  const c = p.gcp_credentials;
  if (c?.type === 'service_account') {
    try {
      return { kind: 'service-account', credentials: JSON.parse(c.credentials) as Record<string, unknown> };
    } catch (e) {
      throw new ProviderConfigError('provider.gcp_credentials.credentials is not a service-account key (JSON)', { cause: e, hint: 'paste the key file\'s JSON, or leave gcp_credentials out and use `gcloud auth application-default login`' });
    }
  }
  if (c?.type === 'credentials_token') return { kind: 'token', token: c.credentials };
  const choice: AuthChoice = { kind: 'adc' };
  // gcloud keeps ADC in its config folder, which CLOUDSDK_CONFIG moves; google-auth-library looks only under HOME.
  const inConfig = env.CLOUDSDK_CONFIG ? join(env.CLOUDSDK_CONFIG, 'application_default_credentials.json') : undefined;
  if (!env.GOOGLE_APPLICATION_CREDENTIALS && inConfig && fileExists(inConfig)) choice.keyFilename = inConfig;
  // gcloud's auth/token_host is the whole token URL (default https://oauth2.googleapis.com/token).
  if (env[TOKEN_HOST_VAR]) choice.tokenUrl = env[TOKEN_HOST_VAR];
  return choice;
}

export async function loadGcp(p: GcpProviderConfig, env: NodeJS.ProcessEnv = process.env): Promise<GcpClients> {
  // Each client from its own module: the package's index also loads v1beta and the 45 MB protos.js, which the
  // runtime bundle would carry to every node.
  const [instances, zoneOperations, globalOperations, firewalls, images, machineTypes, projects, regions, gal] = await Promise.all([
    import('@google-cloud/compute/build/src/v1/instances_client.js'),
    import('@google-cloud/compute/build/src/v1/zone_operations_client.js'),
    import('@google-cloud/compute/build/src/v1/global_operations_client.js'),
    import('@google-cloud/compute/build/src/v1/firewalls_client.js'),
    import('@google-cloud/compute/build/src/v1/images_client.js'),
    import('@google-cloud/compute/build/src/v1/machine_types_client.js'),
    import('@google-cloud/compute/build/src/v1/projects_client.js'),
    import('@google-cloud/compute/build/src/v1/regions_client.js'),
    import('google-auth-library'),
  ]);
  const choice = authChoice(p, env);
  // No scopes: a service-account key then signs its own token for the API (no token endpoint), a user's refresh
  // token is not scoped anyway, and the metadata server hands out the instance's scopes.
  // The project is the config's: otherwise google-auth-library looks for one as it loads the credential, running
  // `gcloud config config-helper` and asking the metadata server (seconds of retries off GCE, and a call to a
  // metadata address from a laptop).
  const projectId = p.project_id ?? undefined;
  let auth: GoogleAuth;
  if (choice.kind === 'service-account') auth = new gal.GoogleAuth({ projectId, credentials: choice.credentials });
  else if (choice.kind === 'token') {
    const client = new gal.OAuth2Client();
    client.setCredentials({ access_token: choice.token });
    auth = new gal.GoogleAuth({ projectId, authClient: client });
  } else {
    auth = new gal.GoogleAuth({
      projectId,
      ...(choice.keyFilename ? { keyFilename: choice.keyFilename } : {}),
      ...(choice.tokenUrl ? { clientOptions: { endpoints: { oauth2TokenUrl: choice.tokenUrl } } } : {}),
    });
  }
  const opts = { ...endpointOptions(env[COMPUTE_ENDPOINT_VAR]), auth };
  const c = {
    instances: new instances.InstancesClient(opts),
    zoneOperations: new zoneOperations.ZoneOperationsClient(opts),
    globalOperations: new globalOperations.GlobalOperationsClient(opts),
    firewalls: new firewalls.FirewallsClient(opts),
    images: new images.ImagesClient(opts),
    machineTypes: new machineTypes.MachineTypesClient(opts),
    projects: new projects.ProjectsClient(opts),
    regions: new regions.RegionsClient(opts),
  };
  // A client that never made a call builds its transport only to close it, which fails without credentials:
  // nothing is open then, so such failures are nothing to report.
  return { ...c, close: async () => { await Promise.allSettled(Object.values(c).map((x) => x.close())); } };
}
