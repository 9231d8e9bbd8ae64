// google-auth-library looks for credentials in the environment, gcloud's config folder, $HOME and finally the
// metadata server (169.254.169.254 or metadata.google.internal, which on this machine could be the real host's).
// Tests against the fake GCP run with all of that emptied: an empty HOME and CLOUDSDK_CONFIG, and either
// METADATA_SERVER_DETECTION=none or GCE_METADATA_HOST pointing at the fake's metadata server.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FirewallsClient, GlobalOperationsClient, ImagesClient, InstancesClient, MachineTypesClient, ProjectsClient, RegionsClient, ZoneOperationsClient, ZonesClient,
} from '@google-cloud/compute';
import { gcpMetadata, GoogleAuth } from 'google-auth-library';
import { endpointOptions, type GcpClients } from '../../providers/gcp/sdk.js';
import { after, afterEach, before, beforeEach } from 'mocha';
import { DUMMY_USER, FakeGcp, InMemoryHostPool, ManualClock, type FakeGcpOptions, type ServiceAccountKeyFile } from '../fakes/gcp/index.js';

const GCP_VARS = /^(GOOGLE_|GCLOUD_|GCE_METADATA_|CLOUDSDK_|METADATA_SERVER_DETECTION$|DETECT_GCP_RETRIES$|HOME$|NO_GCE_CHECK$)/;

/**
 * Replaces every Google-related variable and HOME with an isolated set. Without `metadataHost` the metadata server
 * is never probed; with it, google-auth-library's GCE detection and tokens go to it and only to it. Returns the undo.
 */
export function isolateGcpEnv(opts: { metadataHost?: string } = {}): () => void {
  const saved = Object.entries(process.env).filter(([k]) => GCP_VARS.test(k));
  for (const [k] of saved) delete process.env[k];
  const dir = mkdtempSync(join(tmpdir(), 'rl-gcp-env-'));
  mkdirSync(join(dir, 'home'));
  mkdirSync(join(dir, 'gcloud'));
  process.env.HOME = join(dir, 'home');
  process.env.CLOUDSDK_CONFIG = join(dir, 'gcloud');
  if (opts.metadataHost === undefined) {
    process.env.METADATA_SERVER_DETECTION = 'none';
    // Detection=none does not cover everything: google-auth-library still asks the metadata server for a project
    // id when nothing else names one, and trusts a BIOS that says Google. Any such call goes to a closed loopback
    // port instead of 169.254.169.254.
    process.env.GCE_METADATA_HOST = '127.0.0.1:9';
  } else {
    process.env.GCE_METADATA_HOST = opts.metadataHost;
  }
  // gcp-metadata remembers per process whether a metadata server answered; each test decides that afresh.
  gcpMetadata.resetIsAvailableCache();
  return () => {
    for (const k of Object.keys(process.env)) if (GCP_VARS.test(k)) delete process.env[k];
    for (const [k, v] of saved) process.env[k] = v;
    gcpMetadata.resetIsAvailableCache();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** An authorized_user credential (what `gcloud auth application-default login` writes) for the fake's dummy user. */
export function userAuth(fake: FakeGcp, user: { refreshToken: string; clientId?: string; clientSecret?: string } = DUMMY_USER): GoogleAuth {
  return new GoogleAuth({
    credentials: { type: 'authorized_user', client_id: user.clientId ?? DUMMY_USER.clientId, client_secret: user.clientSecret ?? DUMMY_USER.clientSecret, refresh_token: user.refreshToken },
    // google-auth-library does not read a token endpoint from an authorized_user file; its client takes one.
    clientOptions: { endpoints: { oauth2TokenUrl: fake.tokenUrl } },
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  });
}

/**
 * A service-account key file's credential. No scopes on purpose: google-auth-library then signs its own JWT for the
 * API and calls no token endpoint; with scopes it would go to oauth2.googleapis.com, which no test may reach.
 */
export function serviceAccountKeyAuth(key: ServiceAccountKeyFile): GoogleAuth {
  return new GoogleAuth({ credentials: key });
}

/** Application Default Credentials as the head finds them: no file, so the metadata server (GCE_METADATA_HOST). */
export function metadataAuth(): GoogleAuth {
  return new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
}

/** The provider's clients, and the zones list the tests read too. */
export interface ComputeClients extends GcpClients {
  zones: ZonesClient;
}

/** Real @google-cloud/compute clients pointed at the fake, authenticated by `auth` (a user's by default). */
export function computeClients(fake: FakeGcp, auth: GoogleAuth = userAuth(fake)): ComputeClients {
  // The endpoint options the provider derives from gcloud's override, so the tests' clients reach the fake alike.
  const opts = { ...endpointOptions(`${fake.endpoint}/compute/v1/`), auth };
  const c = {
    instances: new InstancesClient(opts),
    zoneOperations: new ZoneOperationsClient(opts),
    globalOperations: new GlobalOperationsClient(opts),
    firewalls: new FirewallsClient(opts),
    images: new ImagesClient(opts),
    machineTypes: new MachineTypesClient(opts),
    projects: new ProjectsClient(opts),
    zones: new ZonesClient(opts),
    regions: new RegionsClient(opts),
  };
  return { ...c, close: async () => { await Promise.all(Object.values(c).map((x) => x.close())); } };
}

export interface GceErrorView {
  status: number;
  reason?: string;
  message: string;
  details?: { reason?: string; metadata?: Record<string, string> }[];
}

/**
 * The HTTP status and GCE error body of a failed call. With google-gax 5's REST transport an error answer
 * surfaces as a GaxiosError whose message is the body's JSON text (not a parsed GoogleError).
 */
export function gceErrorOf(e: unknown): GceErrorView {
  const x = e as { status?: number; code?: number | string; message?: string };
  const text = String(x.message ?? '');
  const body = JSON.parse(text.slice(text.indexOf('{'))) as { error: { code: number; message: string; errors?: { reason?: string }[]; details?: GceErrorView['details'] } };
  return { status: body.error.code, reason: body.error.errors?.[0]?.reason, message: body.error.message, details: body.error.details };
}

/** What each test of a fake's suite gets: the fake on a ManualClock, its in-memory pool, the user's clients. */
export interface FakeGcpSession {
  fake: FakeGcp;
  clock: ManualClock;
  pool: InMemoryHostPool;
  c: ComputeClients;
  project: string;
}

/**
 * A suite's hooks: an isolated environment for the suite, and for each test a fresh fake on `addresses` with the
 * dummy user's clients, handed to `set` before the test and closed after it. `restart` swaps in a fake with other
 * options (same clock and pool) for one test, handed to `set` again, and closed after the test all the same.
 */
export function fakeGcpPerTest(addresses: string[], options: Omit<FakeGcpOptions, 'clock' | 'pool'>, set: (s: FakeGcpSession) => void): { restart(other: Omit<FakeGcpOptions, 'clock' | 'pool'>): Promise<void> } {
  let restoreEnv: () => void = () => undefined;
  let s: FakeGcpSession | undefined;
  const start = async (clock: ManualClock, pool: InMemoryHostPool, o: Omit<FakeGcpOptions, 'clock' | 'pool'>): Promise<void> => {
    const fake = await FakeGcp.start({ clock, pool, ...o });
    s = { fake, clock, pool, c: computeClients(fake), project: fake.project };
    set(s);
  };
  const stop = async (): Promise<void> => {
    await s?.c.close();
    await s?.fake.close();
  };
  before(() => { restoreEnv = isolateGcpEnv(); });
  after(() => restoreEnv());
  beforeEach(() => start(new ManualClock(), new InMemoryHostPool(addresses), options));
  afterEach(async () => {
    await stop();
    s = undefined;
  });
  return {
    restart: async (other) => {
      if (s === undefined) throw new Error('restart() belongs inside a test');
      const { clock, pool } = s;
      await stop();
      await start(clock, pool, other);
    },
  };
}
