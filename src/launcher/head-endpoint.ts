import { RECONNECT_TIMEOUT_ENV, reconnectTimeoutS } from '../client/reconnect.js';
import { clusterDir } from '../common/paths.js';
import { RaylaunchError } from '../common/errors.js';
import type { JobJson } from '../cli/status-json.js';
import {
  HeadUnreachableError, type JobDetails, JobNotFoundError, JobRequestError, JobsApiError, JobsAuthError, JobSubmissionClient, type HeadEndpoint,
} from '../jobs-client/index.js';
import { readClusterConfig, readHeadInfo, readOperatorCredential } from './cluster-state.js';
import { HeadConnectionError, JobNotFoundError as LauncherJobNotFoundError, JobRefusedError } from './errors.js';
import { notRunning } from './known-clusters.js';
import { readSshHead } from './ssh-head.js';
import { openTunnel } from './tunnel.js';

/**
 * The head's HTTP API as the CLI reaches it, the way Session reaches its WebSocket: the head's own address for a
 * cluster on this machine, else a local port forwarded through SSH to the head (never opened to the outside).
 */
export async function headEndpoint(clusterName: string): Promise<HeadEndpoint> {
  const dir = clusterDir(clusterName);
  const head = readHeadInfo(dir);
  const token = readOperatorCredential(clusterName);
  if (!head || !token) throw notRunning(clusterName);
  const ssh = readSshHead(dir);
  if (!ssh) return { address: `http://${head.address}`, token };
  try {
    const tunnel = await openTunnel(ssh, head.address);
    return { address: `http://127.0.0.1:${tunnel.localPort}`, token, close: () => tunnel.close() };
  } catch (e) {
    if (e instanceof RaylaunchError) throw e;
    throw new HeadConnectionError(`cannot reach the head of cluster ${clusterName} at ${head.address}: ${(e as Error).message.replace(/^.*?: /, '')}`, {
      hint: `if the cluster crashed, clean up with raylaunch down -c ${clusterName} and start it again`, cause: e,
    });
  }
}

/** A Jobs API client of a cluster started here; it waits for a restarting head as long as the cluster's config says. */
export function jobsClient(clusterName: string): JobSubmissionClient {
  const config = readClusterConfig(clusterDir(clusterName));
  return new JobSubmissionClient({
    endpoint: () => headEndpoint(clusterName),
    reconnectTimeoutS: reconnectTimeoutS(config?.raylaunch.head_reconnect_timeout_s, process.env[RECONNECT_TIMEOUT_ENV]),
  });
}

/** A Jobs API failure as the CLI's error of the same meaning (its exit code, message and hint). */
export function cliJobsError(e: unknown, clusterName: string): unknown {
  if (!(e instanceof JobsApiError)) return e;
  if (e instanceof JobRequestError) return new JobRefusedError(`the head refused the job: ${e.message}`, { cause: e });
  if (e instanceof JobNotFoundError) return new LauncherJobNotFoundError(e.message, { hint: 'list the jobs with raylaunch job list', cause: e });
  if (e instanceof JobsAuthError) {
    return new HeadConnectionError(`the head of cluster ${clusterName} refused this machine's operator credential: ${e.message}`, {
      hint: `the credential is ~/.raylaunch/credentials/${clusterName}, written by the up that started the cluster`, cause: e,
    });
  }
  return new HeadConnectionError(`${e instanceof HeadUnreachableError ? '' : 'the head failed: '}${e.message}`, { hint: `see whether the head runs with raylaunch status -c ${clusterName}`, cause: e });
}

/** A job as `job list` and `job status` print it (the JSON they print, schemas/output/job-*.schema.json). */
/** A job as the CLI prints it; the message only where the exit code does not say why it ended (as `status` has it). */
export const jobJsonOf = (d: JobDetails): JobJson => ({
  job_id: d.job_id, name: d.name, status: d.status, exit_code: d.driver_exit_code, start_time: d.start_time, end_time: d.end_time,
  ...(d.error_type === 'JOB_DRIVER_DIED' ? { message: d.message } : {}),
});

/**
 * Runs `fn` with a Jobs API client of the cluster, closed after; its failures as the CLI's errors. A job the
 * head does not know is named with the cluster it was looked for on.
 */
export async function withJobsClient<T>(clusterName: string, fn: (client: JobSubmissionClient) => Promise<T>): Promise<T> {
  const client = jobsClient(clusterName);
  try {
    return await fn(client);
  } catch (e) {
    throw cliJobsError(e, clusterName);
  } finally {
    await client.close();
  }
}
