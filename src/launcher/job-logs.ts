/**
 * The jobs' logs of a cluster reached over SSH, brought back to this machine by `down` before their folders are
 * removed from the head (their code and working folders do not stay on the hosts): each job's driver.log and
 * job.json, into <cluster folder>/jobs-last-run/<job id>/, as the process provider keeps its last run's.
 * What the head sends is a job's to shape: only those two names, of job folders with plain names, as files
 * this machine writes itself.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { remoteStateDir } from '../updater/remote.js';
import type { CommandRunner } from '../updater/runner.js';

export const JOB_LOG_FILES = ['job.json', 'driver.log'] as const;
/** The end of a longer log is what comes back (the head's copy is removed). */
export const JOB_LOG_CAP = 64 * 1024 * 1024;
const JOB_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export interface JobLog { jobId: string; file: (typeof JOB_LOG_FILES)[number]; data: Buffer }

/** Prints `F <job> <file> <bytes>`, the bytes and a newline for each log, then `E`: regular files only, no links. */
export function jobLogsCommand(cluster: string): string {
  return [
    `cd ${remoteStateDir(cluster)}/jobs 2>/dev/null || { echo E; exit 0; }`,
    'for j in *; do',
    '  case "$j" in .*|*[!A-Za-z0-9._-]*) continue;; esac',
    '  [ -d "$j" ] && [ ! -L "$j" ] || continue',
    `  for f in ${JOB_LOG_FILES.join(' ')}; do`,
    '    p="$j/$f"',
    '    [ -f "$p" ] && [ ! -L "$p" ] || continue',
    `    n=$(wc -c < "$p" | tr -d ' '); [ "$n" -gt ${JOB_LOG_CAP} ] && n=${JOB_LOG_CAP}`,
    '    printf \'F %s %s %s\\n\' "$j" "$f" "$n"; tail -c "$n" "$p"; printf \'\\n\'',
    '  done',
    'done',
    'echo E',
  ].join('\n');
}

/** The logs in jobLogsCommand's output; throws when it is cut short or not what that command prints. */
export function parseJobLogs(out: Buffer): JobLog[] {
  const logs: JobLog[] = [];
  let at = 0;
  for (;;) {
    const nl = out.indexOf(0x0a, at);
    if (nl < 0) throw new Error('the list of job logs ended early');
    const header = out.subarray(at, nl).toString('latin1');
    if (header === 'E') return logs;
    const [tag, jobId = '', file = '', size = '', ...rest] = header.split(' ');
    const bytes = Number(size);
    if (tag !== 'F' || rest.length > 0 || !JOB_ID.test(jobId) || !(JOB_LOG_FILES as readonly string[]).includes(file)
      || !/^\d+$/.test(size) || bytes > JOB_LOG_CAP) {
      throw new Error(`unexpected line in the list of job logs: ${JSON.stringify(header.slice(0, 80))}`);
    }
    const end = nl + 1 + bytes;
    if (out[end] !== 0x0a) throw new Error(`the log ${jobId}/${file} is not ${bytes} bytes long as announced`);
    logs.push({ jobId, file: file as JobLog['file'], data: Buffer.from(out.subarray(nl + 1, end)) });
    at = end + 1;
  }
}

/** Replaces <dir>/jobs-last-run with these logs; none (a run without jobs) keeps the previous run's. */
export function saveJobLogs(dir: string, logs: readonly JobLog[]): string | undefined {
  if (logs.length === 0) return undefined;
  const last = join(dir, 'jobs-last-run');
  const tmp = `${last}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const l of logs) {
    mkdirSync(join(tmp, l.jobId), { recursive: true, mode: 0o700 });
    writeFileSync(join(tmp, l.jobId, l.file), l.data, { mode: 0o600, flag: 'wx' });
  }
  rmSync(last, { recursive: true, force: true });
  renameSync(tmp, last);
  return last;
}

/** Copies the head's job logs here; returns where they went (undefined: the head had none). */
export async function copyJobLogs(head: CommandRunner, cluster: string, dir: string): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  const r = await head.run(jobLogsCommand(cluster), { onStdout: (c) => chunks.push(c) });
  if (r.code !== 0) throw new Error(`listing the job logs failed (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  return saveJobLogs(dir, parseJobLogs(Buffer.concat(chunks)));
}
