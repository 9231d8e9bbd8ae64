/**
 * What a worker process of a job needs on this node: the job's folder (its bundle, the `node_modules/raylaunch`
 * link, its working directory), and the forked process itself, with an environment that carries none of the
 * agent's own secrets.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unpack } from '../common/pack.js';
import { runtimeEntry } from '../common/package-root.js';
import type { MessageOf } from '../protocol/messages.js';
import { giveTo, type WorkerUser } from './worker-user.js';

export interface JobFiles { bundle: string; cwd: string; env: Record<string, string>; namespace: string }

/** Writes a job's bundle and the link that makes `import 'raylaunch'` resolve to this node's runtime. */
export function writeJobDir(dir: string, bundle: Uint8Array, runtimeRoot: string): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true, mode: 0o700 });
  const link = join(dir, 'node_modules', 'raylaunch');
  if (!existsSync(link)) symlinkSync(runtimeRoot, link, 'dir');
  writeFileSync(join(dir, 'job.mjs'), bundle, { mode: 0o600 });
}

/**
 * The job's folder under `jobsDir` from the head's reply (`node_modules/raylaunch` beside the bundle: ESM ignores
 * NODE_PATH), written once; with worker_user, handed to that user.
 */
export function jobFiles(jobsDir: string, reply: MessageOf<'job.bundle'>, runtimeRoot: string, user: WorkerUser | undefined): JobFiles {
  if (!reply.bundle) throw new Error(`job ${reply.jobId} is unknown to the head`);
  const dir = join(jobsDir, reply.jobId);
  const bundle = join(dir, 'job.mjs');
  if (!existsSync(bundle)) writeJobDir(dir, reply.bundle, runtimeRoot);
  const cwd = reply.workingDir ? join(dir, 'working_dir') : dir;
  if (reply.workingDir && !existsSync(cwd)) unpack(reply.workingDir, cwd);
  if (user) {
    chmodSync(jobsDir, 0o711); // passed through, never listed
    giveTo(dir, user);
  }
  return { bundle, cwd, env: reply.env, namespace: reply.namespace };
}

export interface ForkWorker {
  job: JobFiles;
  jobId: string;
  clientId: string;
  nodeId: string;
  nodeDir: string;
  inlineLimit: number;
  user: WorkerUser | undefined;
  extraEnv: Record<string, string>;
}

/** A worker process for the job, its output appended to the job's worker log on this node. */
export function forkWorker(o: ForkWorker): ChildProcess {
  const logDir = join(o.nodeDir, 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const log = openSync(join(logDir, `worker-${o.jobId}.log`), 'a', 0o600);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RAYLAUNCH_')) env[k] = v; // never the token
  // Not beside import.meta.url: bundled, this code may sit in a shared chunk rather than next to its entry.
  return fork(runtimeEntry('src/worker/worker-process.js'), [], {
    cwd: o.job.cwd,
    env: {
      ...env, ...o.job.env, RAYLAUNCH_WORKER: '1', RAYLAUNCH_CLIENT_ID: o.clientId, RAYLAUNCH_JOB_ID: o.jobId, RAYLAUNCH_NODE_ID: o.nodeId,
      RAYLAUNCH_BUNDLE: o.job.bundle, RAYLAUNCH_INLINE_LIMIT: String(o.inlineLimit), RAYLAUNCH_NAMESPACE: o.job.namespace,
      ...o.extraEnv,
    },
    execArgv: ['--enable-source-maps'],
    ...(o.user ? { uid: o.user.uid, gid: o.user.gid } : {}),
    serialization: 'advanced',
    stdio: ['ignore', log, log, 'ipc'],
  });
}
