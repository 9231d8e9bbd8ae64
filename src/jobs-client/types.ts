/** The Jobs API's wire shapes, snake_case as Ray's Jobs REST API has them (schemas/jobs-api.openapi.json). */

export type JobStatus = 'PENDING' | 'RUNNING' | 'STOPPED' | 'SUCCEEDED' | 'FAILED';

/** What `runtime_env` may hold: the working directory's package and the job's variables. */
export interface RuntimeEnv {
  /** `pkg://<sha256>` of an uploaded working directory (packed as `raylaunch submit --working-dir` packs it). */
  working_dir?: string;
  env_vars?: Record<string, string>;
  /** Lets env_vars set variables that change how Node.js runs (NODE_OPTIONS, …), as `submit --allow-node-env`. */
  allow_node_env?: boolean;
}

/** POST /api/jobs/ */
export interface JobSubmitRequest {
  /** `pkg://<sha256>` of the uploaded job bundle, then its arguments, shell-quoted. */
  entrypoint: string;
  /** The job's id; chosen by the head when absent. */
  submission_id?: string;
  runtime_env?: RuntimeEnv;
  /** Kept with the job and shown with it; `name` is the job's name in `raylaunch job list`. */
  metadata?: Record<string, string>;
}

export interface JobSubmitResponse { job_id: string; submission_id: string }

export interface DriverInfo { id: string; node_ip_address: string; pid: string }

/** GET /api/jobs/{id}, and each of GET /api/jobs/. */
export interface JobDetails {
  /** SUBMISSION: submitted through the API or `raylaunch submit`; DRIVER: a driver started by hand. */
  type: 'SUBMISSION' | 'DRIVER';
  job_id: string;
  submission_id: string | null;
  /** The job's name: its file's name, or metadata.name. */
  name: string;
  status: JobStatus;
  entrypoint: string;
  message: string;
  error_type: string | null;
  /** Milliseconds since the epoch. */
  start_time: number;
  end_time: number | null;
  metadata: Record<string, string>;
  runtime_env: RuntimeEnv;
  driver_exit_code: number | null;
  driver_info: DriverInfo | null;
}

/** GET /api/jobs/{id}/logs */
export interface JobLogsResponse { logs: string }

/** One frame of GET /api/jobs/{id}/logs/tail (a WebSocket of JSON text frames). */
export type TailFrame =
  /** `at`: where the text starts in the job's output, in characters (absent: a note of the head's). */
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string; at?: number }
  | { type: 'end'; status: JobStatus; driver_exit_code: number | null };

/** Every failure's body. */
export interface ErrorBody { error: string }
