import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tool } from './hosts/system.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const IP = tool('ip') ?? 'ip';

export interface CliResult { code: number; stdout: string; stderr: string }

/** What a command printed so far; called after every chunk, for tests that watch output as it comes. */
export type OnOutput = (printed: { stdout: string; stderr: string }) => void;

export interface RunCliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  onOutput?: OnOutput;
  input?: string;
  /**
   * A network namespace (`ip netns`) to run the CLI in: one whose only link is the test bridge keeps a cloud
   * test's CLI from reaching anything beyond this machine, which no guard inside the process could promise.
   */
  netns?: string;
}

/** Runs the built CLI (npm test builds dist/ first) the way a user would, with a bounded time (for hangs only). */
export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // `ip netns exec` execs the program, so the child's PID is the CLI's own and the timeout's kill reaches it.
    const [file, argv] = opts.netns === undefined ? [process.execPath, [BIN, ...args]] : [IP, ['netns', 'exec', opts.netns, process.execPath, BIN, ...args]];
    const child = spawn(file, argv, {
      cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); opts.onOutput?.({ stdout, stderr }); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); opts.onOutput?.({ stdout, stderr }); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`raylaunch ${args.join(' ')} timed out`)); }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
  });
}
