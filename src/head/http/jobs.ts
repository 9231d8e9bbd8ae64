import { JobIdTaken, RefusedSubmission } from '../jobs/submission.js';
import type { JobManager } from '../jobs/job-manager.js';
import { readDriverRecord } from '../jobs/driver.js';
import type { DriverInfo } from '../../jobs-client/types.js';
import { jobDetails } from './jobs-details.js';
import { packageRoutes, PackageStore } from './jobs-packages.js';
import { parseJobRequest } from './jobs-submit.js';
import { tailRoute } from './jobs-tail.js';
import { HttpError, readJson, type Route, type RouteContext, sendJson, type UpgradeRoute } from './router.js';

/** What the Jobs API reads and acts through: the head's job manager. */
export type JobsBackend = Pick<JobManager, 'submit' | 'record' | 'records' | 'follow' | 'unfollow' | 'stop' | 'remove' | 'saved'>;

export interface JobsHttpDeps {
  jobs: JobsBackend;
  /** Where uploaded packages are kept (the cluster's state folder). */
  packagesDir: string;
  /** The largest package taken (packedLimit of raylaunch.max_upload_mb and max_upload_files). */
  packageLimitBytes: number;
  /** The host the head (and so every submitted job's driver) runs on. */
  headHost: string;
}

const notFound = (id: string) => new HttpError(404, `no job ${id} on this cluster: list the jobs with GET /api/jobs/`);

/**
 * Ray's Jobs REST API (https://docs.ray.io/en/latest/cluster/running-applications/job-submission/rest.html):
 * packages by hash, then jobs. schemas/jobs-api.openapi.json is its contract.
 */
export function jobsHttp(d: JobsHttpDeps): { routes: Route[]; upgrades: UpgradeRoute[] } {
  const packages = new PackageStore(d.packagesDir, d.packageLimitBytes);
  const driverInfo = (dir: string, jobId: string): DriverInfo | null => {
    const r = readDriverRecord(dir);
    return r ? { id: jobId, node_ip_address: d.headHost, pid: String(r.pid) } : null;
  };
  const details = (id: string) => {
    const r = d.jobs.record(id);
    if (!r) throw notFound(id);
    return jobDetails(r, driverInfo(r.dir, r.jobId));
  };
  const submit = async ({ req, res }: RouteContext) => {
    const job = parseJobRequest(await readJson(req), (hash) => packages.read(hash));
    let jobId: string;
    try {
      jobId = d.jobs.submit(job);
    } catch (e) {
      if (e instanceof JobIdTaken) throw new HttpError(409, e.message);
      if (e instanceof RefusedSubmission) throw new HttpError(400, e.message);
      throw e;
    }
    // As over the WebSocket: the submitter hears of the job once its record (and driver credential) is durable.
    await d.jobs.saved(jobId);
    sendJson(res, 200, { job_id: jobId, submission_id: jobId });
  };
  const list = ({ res }: RouteContext) => sendJson(res, 200, d.jobs.records().map((r) => jobDetails(r, driverInfo(r.dir, r.jobId))));
  const routes: Route[] = [
    ...packageRoutes(packages),
    { method: 'POST', path: '/api/jobs/', handle: submit },
    { method: 'POST', path: '/api/jobs', handle: submit },
    { method: 'GET', path: '/api/jobs/', handle: list },
    { method: 'GET', path: '/api/jobs', handle: list },
    { method: 'GET', path: '/api/jobs/:id', handle: ({ res, params }) => sendJson(res, 200, details(params.id ?? '')) },
    {
      method: 'GET', path: '/api/jobs/:id/logs',
      handle: ({ res, params }) => {
        const id = params.id ?? '';
        let logs = '';
        const known = d.jobs.follow(id, { output: (_s, text) => { logs += text; }, exit: () => undefined, snapshotEnd: () => undefined }, false);
        if (!known) throw notFound(id);
        sendJson(res, 200, { logs });
      },
    },
    {
      method: 'POST', path: '/api/jobs/:id/stop',
      handle: ({ res, params }) => {
        const id = params.id ?? '';
        const r = d.jobs.record(id);
        if (!r) throw notFound(id);
        const running = r.endedAt === null;
        if (running) d.jobs.stop(id);
        sendJson(res, 200, { stopped: running });
      },
    },
    {
      method: 'DELETE', path: '/api/jobs/:id',
      handle: ({ res, params }) => {
        const id = params.id ?? '';
        const result = d.jobs.remove(id);
        if (result === 'missing') throw notFound(id);
        if (result === 'running') throw new HttpError(409, `job ${id} has not ended: stop it first (POST /api/jobs/${id}/stop), then delete it`);
        sendJson(res, 200, { deleted: true });
      },
    },
  ];
  return { routes, upgrades: [tailRoute(d.jobs)] };
}
