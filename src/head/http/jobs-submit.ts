import { nodeRuntimeEnv } from '../../cli/node-env.js';
import { EntrypointSyntaxError, packageHash, splitWords } from '../../jobs-client/entrypoint.js';
import type { SubmissionInfo } from '../jobs/job-manager.js';
import { HttpError } from './router.js';

/** What POST /api/jobs/ asks the job manager for. */
export interface JobRequest {
  name: string;
  bundle: Uint8Array;
  args: string[];
  env: Record<string, string>;
  workingDir?: Uint8Array;
  jobId?: string;
  submission: SubmissionInfo;
}

const SUBMISSION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_METADATA = 64;
const MAX_METADATA_VALUE = 4096;

const bad = (message: string) => new HttpError(400, message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v)) throw bad(`${field} must be an object of strings`);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') throw bad(`${field}.${k} must be a string`);
  return v as Record<string, string>;
}

/** The same rules as `submit --env` (parseEnv): a variable name, not raylaunch's own, no Node.js runtime variable unless allowed, no NUL. */
function envVars(v: unknown, allowNodeEnv: boolean): Record<string, string> {
  const env = stringMap(v, 'runtime_env.env_vars');
  for (const [name, value] of Object.entries(env)) {
    const field = `runtime_env.env_vars.${name}`;
    if (!ENV_NAME.test(name)) throw bad(`${field}: not a variable name (letters, digits and _, not first a digit)`);
    if (name.startsWith('RAYLAUNCH_')) throw bad(`${field}: RAYLAUNCH_ variables are raylaunch's own: use another name`);
    const why = allowNodeEnv ? undefined : nodeRuntimeEnv(name);
    if (why) throw bad(`${field} changes how Node.js runs the job: it ${why}; set runtime_env.allow_node_env to true if that is what you mean`);
    if (value.includes('\0')) throw bad(`${field}: the value holds a NUL byte, which no process environment can carry`);
  }
  return { ...env };
}

function metadataOf(v: unknown): Record<string, string> {
  const m = stringMap(v, 'metadata');
  const keys = Object.keys(m);
  if (keys.length > MAX_METADATA) throw bad(`metadata has ${keys.length} keys, more than ${MAX_METADATA}: keep fewer`);
  for (const k of keys) if ((m[k] ?? '').length > MAX_METADATA_VALUE) throw bad(`metadata.${k} is over ${MAX_METADATA_VALUE} characters: keep it shorter`);
  return { ...m };
}

/**
 * A POST /api/jobs/ body as the job to start, its packages read from the head's store; every refusal (400) names
 * the field and what to do. Ray's shape: {entrypoint, submission_id, runtime_env: {working_dir, env_vars}, metadata}.
 */
export function parseJobRequest(body: unknown, packages: (hash: string) => Uint8Array | undefined): JobRequest {
  if (!isObject(body)) throw bad('the body must be a JSON object: {"entrypoint": "pkg://<sha256> [args…]", …}');
  const known = new Set(['entrypoint', 'submission_id', 'runtime_env', 'metadata', 'job_id']);
  for (const k of Object.keys(body)) if (!known.has(k)) throw bad(`${k} is not a field of a job submission (entrypoint, submission_id, runtime_env, metadata)`);
  const { entrypoint } = body;
  if (typeof entrypoint !== 'string' || entrypoint.trim() === '') throw bad('entrypoint is required: "pkg://<sha256 of the uploaded job bundle>" and then the job\'s arguments');
  let words: string[];
  try {
    words = splitWords(entrypoint);
  } catch (e) {
    if (e instanceof EntrypointSyntaxError) throw bad(`entrypoint: ${e.message}`);
    throw e;
  }
  const [uri = '', ...args] = words;
  const hash = packageHash(uri);
  if (!hash) throw bad(`entrypoint must start with the uploaded job bundle's package URI (pkg://<sha256>), not ${JSON.stringify(uri)}: upload the bundle with PUT /api/packages/<sha256> first`);
  const bundle = packages(hash);
  if (!bundle) throw bad(`entrypoint: no package ${hash} on the head: upload the job bundle with PUT /api/packages/${hash} first`);
  args.forEach((a, i) => {
    if (a.includes('\0')) throw bad(`entrypoint: argument ${i + 1} holds a NUL byte, which no command line can carry`);
  });

  const id = body.submission_id ?? body.job_id;
  if (id !== undefined && id !== null && (typeof id !== 'string' || !SUBMISSION_ID.test(id))) {
    throw bad('submission_id must be 1 to 64 letters, digits, _, . or -, starting with a letter or digit (or left out, and the head picks one)');
  }
  const runtimeEnv = body.runtime_env ?? {};
  if (!isObject(runtimeEnv)) throw bad('runtime_env must be an object: {"working_dir": "pkg://<sha256>", "env_vars": {…}}');
  for (const k of Object.keys(runtimeEnv)) if (!['working_dir', 'env_vars', 'allow_node_env'].includes(k)) throw bad(`runtime_env.${k} is not supported here (working_dir, env_vars, allow_node_env are)`);
  if (runtimeEnv.allow_node_env !== undefined && typeof runtimeEnv.allow_node_env !== 'boolean') throw bad('runtime_env.allow_node_env must be true or false');
  const env = envVars(runtimeEnv.env_vars, runtimeEnv.allow_node_env === true);
  let workingDir: Uint8Array | undefined;
  const wd = runtimeEnv.working_dir;
  if (wd !== undefined) {
    const wdHash = typeof wd === 'string' ? packageHash(wd) : undefined;
    if (!wdHash) throw bad('runtime_env.working_dir must be an uploaded package\'s URI (pkg://<sha256>): pack the folder as `raylaunch submit --working-dir` does and upload it with PUT /api/packages/<sha256>');
    workingDir = packages(wdHash);
    if (!workingDir) throw bad(`runtime_env.working_dir: no package ${wdHash} on the head: upload it with PUT /api/packages/${wdHash} first`);
  }
  const metadata = metadataOf(body.metadata);
  return {
    name: metadata.name ?? 'job', bundle, args, env,
    ...(workingDir ? { workingDir } : {}),
    ...(typeof id === 'string' ? { jobId: id } : {}),
    submission: { entrypoint, metadata, ...(typeof wd === 'string' ? { workingDir: wd } : {}) },
  };
}
