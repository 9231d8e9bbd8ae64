import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeDir } from '../common/node-args.js';
import { packageRoot, runtimeEntry } from '../common/package-root.js';
import { clusterDir } from '../common/paths.js';
import { writeJobDir } from '../worker/agent.js';
import { notRunning } from './known-clusters.js';
import { readHeadInfo, readToken } from './cluster-state.js';

/** Where commands run "on the head" and with what: for the process provider, the head's own folder on this machine. */
export interface HeadShell { cwd: string; env: NodeJS.ProcessEnv; clusterName: string }

/**
 * The head's folder and the cluster's environment: RAYLAUNCH_ADDRESS and RAYLAUNCH_TOKEN (so a driver started
 * there joins the cluster), and `raylaunch` on PATH.
 */
export function headShell(clusterName: string): HeadShell {
  const dir = clusterDir(clusterName);
  const head = readHeadInfo(dir);
  const token = readToken(dir);
  if (!head || !token) throw notRunning(clusterName);
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
      ...process.env, RAYLAUNCH_ADDRESS: head.address, RAYLAUNCH_TOKEN: token, RAYLAUNCH_CLUSTER: clusterName,
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

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/**
 * `raylaunch run job.ts`: the job's driver started by hand here, against the cluster in the environment (an
 * attach shell) — bundled like `submit` does, run from a temporary folder, exit code passed through.
 */
export async function runDriver(bundle: Uint8Array, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'raylaunch-run-'));
  try {
    writeJobDir(dir, bundle, packageRoot());
    const driver = runtimeEntry('src/client/driver-process.js');
    return await runInherited(process.execPath, ['--enable-source-maps', driver, join(dir, 'job.mjs'), ...args], { cwd: process.cwd(), env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
