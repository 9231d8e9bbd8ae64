import { createHash } from 'node:crypto';
import { backoffDelay, DEFAULT_RECONNECT_TIMEOUT_S } from '../client/reconnect.js';
import { OutputCursor } from './cursor.js';
import { joinWords, packageUri } from './entrypoint.js';
import { errorFor, HeadUnreachableError, JobNotFoundError, JobRequestError, JobsApiError } from './errors.js';
import { MISSING_PACKAGE_HEADER, TOO_SLOW_CLOSE } from './protocol.js';
import { tailSocket } from './tail-socket.js';
import type { JobDetails, JobStatus, JobSubmitRequest, JobSubmitResponse, RuntimeEnv } from './types.js';

/** Where the head's API is: `http://host:port` and the operator's credential (Bearer). */
export interface HeadEndpoint {
  address: string;
  token: string;
  /** Releases what reaching the head took (an SSH tunnel). */
  close?(): Promise<void>;
}

export interface JobSubmissionClientOptions {
  /** `http://127.0.0.1:<port>`: the head's control-plane port on loopback, or the local end of an SSH tunnel. */
  address?: string;
  /** The operator's credential (~/.raylaunch/credentials/<cluster>). */
  token?: string;
  /**
   * Instead of address and token: how to reach the head, asked again after a connection to it failed (the head
   * restarted; an SSH tunnel is opened anew).
   */
  endpoint?: () => Promise<HeadEndpoint>;
  /** How long a follower waits for a head that went away before giving up (raylaunch.head_reconnect_timeout_s). */
  reconnectTimeoutS?: number;
}

/** What submitJob starts: the job's bundle and arguments, its working directory, variables and metadata. */
export interface SubmitJobOptions {
  /** The bundled job (uploaded unless the head has it), or the `pkg://<sha256>` of one already uploaded. */
  job: Uint8Array | string;
  args?: readonly string[];
  /** A packed folder (as `raylaunch submit --working-dir` packs it), or its `pkg://<sha256>`. */
  workingDir?: Uint8Array | string;
  envVars?: Record<string, string>;
  /** Let envVars set variables that change how Node.js runs the job (NODE_OPTIONS, …). */
  allowNodeEnv?: boolean;
  /** Shown with the job; `name` names it in `raylaunch job list`. */
  metadata?: Record<string, string>;
  /** The job's id; the head picks one when absent. */
  submissionId?: string;
}

/** What tailJobLogs yields: new output (never a piece already yielded), then the job's end. */
export type TailEvent =
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'end'; status: JobStatus; exitCode: number | null };

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * A typed client of the head's Jobs REST API, in the manner of Ray's JobSubmissionClient. Every method throws a
 * JobsApiError subclass: JobsAuthError, JobNotFoundError, JobRequestError (the message names the field), or
 * HeadUnreachableError.
 */
export class JobSubmissionClient {
  private current: Promise<HeadEndpoint> | undefined;
  private readonly endpoint: () => Promise<HeadEndpoint>;
  private readonly reconnectTimeoutS: number;

  constructor(o: JobSubmissionClientOptions) {
    const { address, token } = o;
    if (o.endpoint) this.endpoint = o.endpoint;
    else if (address !== undefined && token !== undefined) this.endpoint = () => Promise.resolve({ address, token });
    else throw new TypeError('JobSubmissionClient needs address and token, or endpoint');
    this.reconnectTimeoutS = o.reconnectTimeoutS ?? DEFAULT_RECONNECT_TIMEOUT_S;
  }

  private head(): Promise<HeadEndpoint> {
    this.current ??= this.endpoint().catch((e: unknown) => {
      this.current = undefined;
      throw e;
    });
    return this.current;
  }

  /** The connection to the head failed: the next request asks for the endpoint again. */
  private async drop(): Promise<void> {
    const was = this.current;
    this.current = undefined;
    await was?.then((e) => e.close?.(), () => undefined);
  }

  private async request<T>(method: string, path: string, body?: Uint8Array | object): Promise<T> {
    const { address, token } = await this.head();
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/octet-stream';
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${address}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    } catch (e) {
      await this.drop();
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new HeadUnreachableError(`cannot reach the head at ${address}: ${cause}`, 0, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: the text as it is
      }
      throw errorFor(res.status, message || `${method} ${path}: the head answered ${res.status}`, res.headers.get(MISSING_PACKAGE_HEADER));
    }
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new JobsApiError(`${method} ${path}: the head's answer is not JSON`, res.status, { cause: e });
    }
  }

  /** Uploads a package unless the head has it already; resolves to its `pkg://<sha256>`. */
  async uploadPackage(content: Uint8Array): Promise<string> {
    const hash = sha256(content);
    try {
      await this.request('GET', `/api/packages/${hash}`);
    } catch (e) {
      if (!(e instanceof JobNotFoundError)) throw e;
      await this.request('PUT', `/api/packages/${hash}`, content);
    }
    return packageUri(hash);
  }

  /** Uploads what the head lacks and starts the job; resolves to its id. */
  async submitJob(o: SubmitJobOptions): Promise<string> {
    const job = typeof o.job === 'string' ? o.job : await this.uploadPackage(o.job);
    const workingDir = o.workingDir === undefined || typeof o.workingDir === 'string' ? o.workingDir : await this.uploadPackage(o.workingDir);
    const runtimeEnv: RuntimeEnv = {
      ...(workingDir !== undefined ? { working_dir: workingDir } : {}),
      ...(o.envVars ? { env_vars: o.envVars } : {}),
      ...(o.allowNodeEnv ? { allow_node_env: true } : {}),
    };
    const req: JobSubmitRequest = {
      entrypoint: joinWords([job, ...(o.args ?? [])]),
      runtime_env: runtimeEnv,
      ...(o.metadata ? { metadata: o.metadata } : {}),
      ...(o.submissionId !== undefined ? { submission_id: o.submissionId } : {}),
    };
    const post = () => this.request<JobSubmitResponse>('POST', '/api/jobs/', req);
    try {
      return (await post()).submission_id;
    } catch (e) {
      // The head keeps packages as a cache: one it had when asked may have gone since. Upload it again, once.
      const lost = e instanceof JobRequestError ? e.missingPackage : undefined;
      const content = lost === undefined ? undefined : [o.job, o.workingDir].find((p): p is Uint8Array => p instanceof Uint8Array && sha256(p) === lost);
      if (!content) throw e;
      await this.request('PUT', `/api/packages/${lost}`, content);
      return (await post()).submission_id;
    }
  }

  getJobInfo(jobId: string): Promise<JobDetails> {
    return this.request('GET', `/api/jobs/${encodeURIComponent(jobId)}`);
  }

  listJobs(): Promise<JobDetails[]> {
    return this.request('GET', '/api/jobs/');
  }

  /** Everything the job printed so far (stdout and stderr interleaved, as its log has them). */
  async getJobLogs(jobId: string): Promise<string> {
    return (await this.request<{ logs: string }>('GET', `/api/jobs/${encodeURIComponent(jobId)}/logs`)).logs;
  }

  /** Asks the head to stop the job; false when it had ended already. */
  async stopJob(jobId: string): Promise<boolean> {
    return (await this.request<{ stopped: boolean }>('POST', `/api/jobs/${encodeURIComponent(jobId)}/stop`)).stopped;
  }

  /** Forgets an ended job (its record and logs); a job still running is refused with JobRequestError (409). */
  async deleteJob(jobId: string): Promise<boolean> {
    return (await this.request<{ deleted: boolean }>('DELETE', `/api/jobs/${encodeURIComponent(jobId)}`)).deleted;
  }

  /**
   * The job's output from character `from` (default 0) as it comes, then its end. A connection that drops (the
   * head restarted) is taken back for up to the reconnect timeout, and the output goes on where it was: nothing
   * lost, nothing repeated.
   */
  async *tailJobLogs(jobId: string, o: { from?: number } = {}): AsyncGenerator<TailEvent, void, undefined> {
    const cursor = new OutputCursor(o.from ?? 0);
    let lostAt: number | undefined;
    let last = '';
    for (let attempt = 0; ; attempt++) {
      if (lostAt !== undefined) {
        const left = lostAt + this.reconnectTimeoutS * 1000 - Date.now();
        if (left <= 0) {
          throw new HeadUnreachableError(`lost the connection to the head and it did not come back within ${this.reconnectTimeoutS} s: ${last}`, 0);
        }
        await new Promise((r) => setTimeout(r, Math.min(left, backoffDelay(attempt, Math.random()))));
      }
      let head: HeadEndpoint;
      try {
        head = await this.head();
      } catch (e) {
        // Reaching the head (its state files, a tunnel) failed: as a dropped connection once following began.
        if (lostAt === undefined) throw e;
        last = (e as Error).message;
        continue;
      }
      const url = `${head.address.replace(/^http/, 'ws')}/api/jobs/${encodeURIComponent(jobId)}/logs/tail?from=${cursor.seen}`;
      try {
        for await (const item of tailSocket(url, head.token)) {
          if ('closed' in item) {
            last = item.closed.code === TOO_SLOW_CLOSE ? 'this follower fell behind' : `the connection closed (${item.closed.code}${item.closed.reason ? `: ${item.closed.reason}` : ''})`;
            break;
          }
          if ('opened' in item) {
            lostAt = undefined;
            attempt = 0;
            continue;
          }
          const f = item.frame;
          if (f.type === 'end') {
            yield { type: 'end', status: f.status, exitCode: f.driver_exit_code };
            return;
          }
          const text = cursor.take(f.text, f.at);
          if (text) yield { type: 'output', stream: f.stream, text };
        }
      } catch (e) {
        if (!(e instanceof HeadUnreachableError)) throw e;
        last = e.message;
      }
      await this.drop();
      lostAt ??= Date.now();
    }
  }

  /** Releases what reaching the head took (an SSH tunnel). */
  async close(): Promise<void> {
    await this.drop();
  }
}

/** A job's whole wait: its output to `out` as it comes, resolving to its end. */
export async function followJob(client: JobSubmissionClient, jobId: string, out: (stream: 'stdout' | 'stderr', text: string) => void): Promise<{ status: JobStatus; exitCode: number | null }> {
  for await (const e of client.tailJobLogs(jobId)) {
    if (e.type === 'end') return { status: e.status, exitCode: e.exitCode };
    out(e.stream, e.text);
  }
  throw new HeadUnreachableError(`the head stopped sending job ${jobId}'s logs without its end`, 0);
}
