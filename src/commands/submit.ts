import { Args, Flags } from '@oclif/core';
import { basename } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { BaseCommand } from '../cli/base-command.js';
import { clusterFlag, printWarnings, resolveCluster } from '../cli/cluster-arg.js';
import { paint, stateStyle, useColour } from '../cli/colour.js';
import { UsageError } from '../common/errors.js';
import { bundleJob } from '../launcher/bundle.js';
import { typecheck, typecheckFlag } from '../cli/typecheck-flag.js';
import { isConfigArg } from '../launcher/cluster-state.js';
import { nodeRuntimeEnv } from '../cli/node-env.js';
import { DEFAULT_UPLOAD_LIMIT_MB, packWorkingDir } from '../launcher/working-dir.js';
import { cliJobsError, jobsClient } from '../launcher/head-endpoint.js';
import { followJob, type JobSubmissionClient } from '../jobs-client/index.js';
import type { JobState } from '../protocol/messages.js';

export interface SubmitResult { cluster_name: string; job_id: string; status: JobState | 'SUBMITTED'; exit_code: number | null }

/** `--env K=V` flags as a map; a malformed one is a usage error, as is one that changes how Node.js runs (node-env.ts). */
export function parseEnv(pairs: readonly string[], o: { allowNodeEnv?: boolean } = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(p);
    if (!m?.[1]) throw new UsageError(`--env ${p} is not NAME=VALUE`, { hint: 'e.g. --env LOG_LEVEL=debug (repeat --env for more)' });
    if (m[1].startsWith('RAYLAUNCH_')) throw new UsageError(`--env ${m[1]}: RAYLAUNCH_ variables are raylaunch's own`, { hint: 'use another name' });
    const why = o.allowNodeEnv ? undefined : nodeRuntimeEnv(m[1]);
    if (why) throw new UsageError(`--env ${m[1]} changes how Node.js runs the job: it ${why}`, { hint: 'pass --allow-node-env if that is what you mean' });
    if (m[2]?.includes('\0')) throw new UsageError(`--env ${m[1]}: the value holds a NUL byte, which no process environment can carry`, { hint: 'remove it' });
    env[m[1]] = m[2] ?? '';
  }
  return env;
}

/** The job's arguments as they go to its driver's command line, which cannot carry a NUL byte. */
export function checkJobArgs(args: readonly string[]): string[] {
  args.forEach((a, i) => {
    if (a.includes('\0')) throw new UsageError(`argument ${i + 1} of the job holds a NUL byte, which no command line can carry`, { hint: 'remove it' });
  });
  return [...args];
}

/** The last line of `submit`: `Job job-… SUCCEEDED in 3.2 s`, `Job job-… FAILED (exit 1) in 0.8 s`. */
export function jobOutcome(jobId: string, state: JobState, exitCode: number | null, ms: number, colour = false): string {
  const code = state === 'FAILED' && exitCode !== null ? ` (exit ${exitCode})` : '';
  return `${paint(colour, 'bold', `Job ${jobId}`)} ${paint(colour, stateStyle(state), state)}${code} in ${(ms / 1000).toFixed(1)} s`;
}

export default class Submit extends BaseCommand {
  static override summary = 'Run a TypeScript job on a cluster.';
  static override description = `Bundles JOB (a .ts or .js file and everything it imports, with esbuild), sends it to the \
cluster's head, which starts its driver, and streams the driver's output here; exits with the job's exit code. \
Arguments after -- go to the job (main() receives them). --working-dir uploads a folder (honouring .gitignore) \
that the driver and its worker processes run in; --env sets variables for them. On a terminal, Ctrl-C asks \
whether to stop the job or detach from it; without one, SIGINT or SIGTERM stops the job and exits 130. With \
--json the job's output streams to stderr and stdout holds only the result (job_id, status, exit_code).`;
  static override examples = [
    { description: 'Run the example job on the example cluster.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml examples/hello.ts' },
    { description: 'Pass arguments to the job.', command: '<%= config.bin %> <%= command.id %> job.ts -- --rounds 3' },
    { description: 'Run in an uploaded folder with a variable set.', command: '<%= config.bin %> <%= command.id %> job.ts --working-dir ./data --env MODE=fast' },
    { description: 'Script it: the job\'s output goes to stderr; stdout has the result (job_id, status, exit_code).', command: '<%= config.bin %> <%= command.id %> -c demo job.ts --json | jq -r .status' },
  ];
  static override strict = false;
  static override args = {
    first: Args.string({ ignoreStdin: true, description: 'Cluster config YAML (optional; else -c NAME or the most recent up), then the job file.', required: true }),
    job: Args.string({ ignoreStdin: true, description: 'The job file, when CONFIG comes first.', required: false }),
  };
  static override flags = {
    cluster: clusterFlag,
    'no-wait': Flags.boolean({ description: 'Print the job id (and how to follow it) and return without streaming its output.' }),
    'working-dir': Flags.string({ description: 'Upload this folder (honouring .gitignore) as the working directory of the driver and its worker processes.', helpValue: 'DIR' }),
    env: Flags.string({ description: 'Set an environment variable for the driver and its worker processes (repeatable).', helpValue: 'K=V', multiple: true, multipleNonGreedy: true }),
    'allow-node-env': Flags.boolean({ description: 'Let --env set variables that change how Node.js itself runs the job\'s processes (NODE_OPTIONS, NODE_PATH, …).' }),
    'max-upload-mb': Flags.integer({ description: 'Largest --working-dir upload, in MB.', default: DEFAULT_UPLOAD_LIMIT_MB, min: 1 }),
    typecheck: typecheckFlag,
  };
  static override enableJsonFlag = true;

  async run(): Promise<SubmitResult> {
    const { argv, flags } = await this.parse(Submit);
    const positionals = argv as string[];
    const configArg = isConfigArg(positionals[0]) ? positionals[0] : undefined;
    const rest = configArg ? positionals.slice(1) : positionals;
    const [jobFile, ...jobArgs] = [...rest, ...this.passthrough];
    if (!jobFile) throw new UsageError('missing the job file', { hint: 'raylaunch submit [CONFIG] job.ts [-- args…]' });
    const target = await resolveCluster(configArg, flags.cluster);
    printWarnings(target.loaded);
    const env = parseEnv(flags.env ?? [], { allowNodeEnv: flags['allow-node-env'] });
    const args = checkJobArgs(jobArgs);
    const workingDir = flags['working-dir'] ? packWorkingDir(flags['working-dir'], flags['max-upload-mb']).packed : undefined;
    const bundle = await bundleJob(jobFile);
    typecheck(jobFile, flags.typecheck);
    const client = jobsClient(target.name);
    try {
      return await this.submitted(client, target.name, await client.submitJob({
        job: bundle, args, envVars: env, allowNodeEnv: flags['allow-node-env'], metadata: { name: basename(jobFile) }, ...(workingDir ? { workingDir } : {}),
      }), flags['no-wait']);
    } catch (e) {
      throw cliJobsError(e, target.name);
    } finally {
      await client.close();
    }
  }

  /** Follows a submitted job to its end (unless --no-wait), with Ctrl-C's question, and exits with its exit code. */
  private async submitted(client: JobSubmissionClient, cluster: string, jobId: string, noWait: boolean): Promise<SubmitResult> {
    const startedAt = performance.now();
    const followHint = `raylaunch job logs -c ${cluster} ${jobId} --follow`;
    const human = !this.jsonEnabled();
    const colour = useColour(process.stderr);
    if (noWait) {
      if (!this.jsonEnabled()) this.log(`${jobId}\nfollow it: ${followHint}`);
      return { cluster_name: cluster, job_id: jobId, status: 'SUBMITTED', exit_code: null };
    }
    if (human) process.stderr.write(`${paint(colour, 'bold', `Job ${jobId}`)} started on cluster ${cluster}\n`);
    let interrupted = false;
    let asking = false;
    // While Ctrl-C's question is on screen the job's output waits, so the question stays readable; it follows after.
    const held: [stream: 'stdout' | 'stderr', text: string][] = [];
    const print = (stream: 'stdout' | 'stderr', text: string) => (stream === 'stderr' || !human ? process.stderr : process.stdout).write(text);
    const release = () => {
      asking = false;
      for (const [stream, text] of held.splice(0)) print(stream, text);
    };
    const stopJob = () => {
      release();
      interrupted = true;
      process.stderr.write(`\nraylaunch: stopping job ${jobId}\n`);
      // Should the request fail, the exit below still comes; the job's end, if the head heard, comes first.
      client.stopJob(jobId).catch(() => undefined);
      // The head reports the job STOPPED within its grace period; don't hang if it cannot.
      setTimeout(() => process.exit(130), 5000).unref();
    };
    // On a terminal, Ctrl-C asks: stop the job, or leave it running and detach. Without one, it stops the job.
    const stop = () => {
      if (!process.stdin.isTTY || asking) return stopJob();
      asking = true;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      rl.question(`\nStop job ${jobId}? [y] stop it / [N] detach and leave it running: `).then((answer) => {
        rl.close();
        release();
        if (/^y/i.test(answer.trim())) return stopJob();
        process.stderr.write(`detached; the job keeps running. follow it: ${followHint}\n`);
        process.exit(0);
      }, () => stopJob());
      process.once('SIGINT', stopJob); // a second Ctrl-C while asking stops it
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // With --json, stdout carries the result alone; the job's own output still streams, to stderr.
    const { status: state, exitCode } = await followJob(client, jobId, (stream, text) => {
      if (asking) held.push([stream, text]);
      else print(stream, text);
    });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (human) process.stderr.write(`${jobOutcome(jobId, state, exitCode, performance.now() - startedAt, colour)}\n`);
    const result: SubmitResult = { cluster_name: cluster, job_id: jobId, status: state, exit_code: exitCode };
    if (interrupted) {
      if (this.jsonEnabled()) this.logJson(result);
      return this.exit(130);
    }
    if (state !== 'SUCCEEDED') {
      if (this.jsonEnabled()) this.logJson(result); // the exit below skips oclif's own printing of the result
      return this.exit(exitCode && exitCode > 0 ? exitCode : 1);
    }
    return result;
  }
}
