/**
 * `raylaunch/jobs`: a typed client of a cluster head's Jobs REST API (Ray's, in TypeScript). Separate from the
 * package root (`raylaunch`), which every worker process loads.
 */
export { JobSubmissionClient, followJob, type HeadEndpoint, type JobSubmissionClientOptions, type SubmitJobOptions, type TailEvent } from './client.js';
export { HeadUnreachableError, JobNotFoundError, JobRequestError, JobsApiError, JobsAuthError } from './errors.js';
export { joinWords, packageHash, packageUri, splitWords } from './entrypoint.js';
export type { DriverInfo, JobDetails, JobLogsResponse, JobStatus, JobSubmitRequest, JobSubmitResponse, RuntimeEnv, TailFrame } from './types.js';
