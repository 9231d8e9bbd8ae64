import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeDir } from '../common/node-args.js';
import { packageRoot, runtimeEntry, runtimeRoot } from '../common/package-root.js';
import { clusterDir } from '../common/paths.js';
import { writeJobDir } from '../worker/job-files.js';
import { notRunning } from './known-clusters.js';
import { readHeadInfo, readOperatorCredential } from './cluster-state.js';

/** Where commands run "on the head" and with what: for the process provider, the head's own folder on this machine. */
export interface HeadShell { cwd: string; env: NodeJS.ProcessEnv; clusterName: string }

/**
 * The head's folder and the cluster's environment: RAYLAUNCH_ADDRESS and RAYLAUNCH_CLUSTER (so `raylaunch run`
 * there joins the cluster), and `raylaunch` on PATH. No credential: every process of the shell would inherit it;
 * `raylaunch run` hands its driver one through a file instead.
 */
export function headShell(clusterName: string): HeadShell {
  const dir = clusterDir(clusterName);
  const head = readHeadInfo(dir);
  if (!head || !readOperatorCredential(clusterName)) throw notRunning(clusterName);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true, mode: 0o700 });
  const link = join(bin, 'raylaunch');
  if (!existsSync(link)) symlinkSync(join(packageRoot(), 'bin', 'run.js'), link);
  const cwd = nodeDir(dir, head.nodeId);
  mkdirSync(cwd, { recursive: true, mode: 0o700 });
  return {
    cwd,
    clusterName,
    env: {
      ...withoutCredentials(process.env), RAYLAUNCH_ADDRESS: head.address, RAYLAUNCH_CLUSTER: clusterName,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    },
  };
}

/** Runs a program with the terminal's stdio; resolves to its exit code (128 + signal number when killed). */
export function runInherited(file: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: 'inherit' });
    // The child gets the terminal's Ctrl-C itself; this process only waits for it.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 1) : 1));
    });
  });
}

function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { RAYLAUNCH_TOKEN: _t, RAYLAUNCH_CREDENTIAL_FILE: _f, ...rest } = env;
  return rest;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/**
 * `raylaunch run job.ts`: the job's driver started by hand here, by the operator, against a cluster of this
 * machine — bundled like `submit` does, run from a temporary folder (0700), exit code passed through. The
 * operator's credential reaches the driver as a 0600 file it removes on reading, never in its environment.
 */
export async function runDriver(bundle: Uint8Array, args: readonly string[], env: NodeJS.ProcessEnv, credential: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'raylaunch-run-'));
  try {
    writeJobDir(dir, bundle, runtimeRoot().dir);
    const driver = runtimeEntry('src/client/driver-process.js');
    const credentialFile = join(dir, 'credential');
    writeFileSync(credentialFile, credential, { mode: 0o600, flag: 'wx' });
    return await runInherited(process.execPath, ['--enable-source-maps', driver, join(dir, 'job.mjs'), ...args], {
      cwd: process.cwd(), env: { ...withoutCredentials(env), RAYLAUNCH_CREDENTIAL_FILE: credentialFile },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
