import { type PackedFile, packedFileCount, PackError, readPack } from '../../common/pack.js';

/** The head will not start a submitted job as asked; the message, for the submitter, says why. */
export class RefusedSubmission extends Error {
  override readonly name: string = 'RefusedSubmission';
}

/** A submission asked for a job id another job has (the Jobs API's submission_id). */
export class JobIdTaken extends RefusedSubmission {
  override readonly name = 'JobIdTaken';
}

/** What `job.submit` asks for that becomes a process: its arguments, its variables and its working directory. */
export interface Submission { args: readonly string[]; env: Readonly<Record<string, string>>; workingDir?: Uint8Array }

/** What the head takes as a job's working directory (raylaunch.max_upload_mb, raylaunch.max_upload_files). */
export interface UploadLimits { maxBytes: number; maxFiles: number }

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxBytes: 100 * 1024 * 1024, maxFiles: 50_000 };

// What a file's path, mode and v8 framing may add to the packed size beyond its contents.
const PER_FILE_OVERHEAD = 4096 + 64;

/** The largest packed working directory (or job bundle) the head takes: the files' bytes and their framing. */
export const packedLimit = (limits: UploadLimits): number => limits.maxBytes + limits.maxFiles * PER_FILE_OVERHEAD;

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The working directory's files once everything the driver's spawn would choke on (a NUL byte, a variable name
 * that is none, a path leaving the folder) has been ruled out; throws RefusedSubmission naming the first. The
 * CLI refuses the same before sending; this is for whatever reaches the head anyway.
 */
export function checkSubmission(req: Submission, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS): PackedFile[] | undefined {
  req.args.forEach((a, i) => {
    if (a.includes('\0')) throw new RefusedSubmission(`argument ${i + 1} of the job holds a NUL byte`);
  });
  for (const [name, value] of Object.entries(req.env)) {
    if (!ENV_NAME.test(name)) throw new RefusedSubmission(`--env ${JSON.stringify(name)} is not a variable name (letters, digits and _, not first a digit)`);
    if (value.includes('\0')) throw new RefusedSubmission(`--env ${name}: its value holds a NUL byte`);
  }
  if (!req.workingDir) return undefined;
  const count = packedFileCount(req.workingDir);
  if (count === undefined) throw new RefusedSubmission('--working-dir: the working directory is not a packed folder (a list of path, mode and data)');
  if (count > limits.maxFiles) throw tooMany(count, limits);
  // The same rule as the CLI's (the files' bytes), with room for what names and framing add; checked again below.
  if (req.workingDir.byteLength > limits.maxBytes + count * PER_FILE_OVERHEAD) throw tooLarge(req.workingDir.byteLength, limits);
  let files: PackedFile[];
  try {
    files = readPack(req.workingDir);
  } catch (e) {
    if (e instanceof PackError) throw new RefusedSubmission(`--working-dir: ${e.message}`);
    throw e;
  }
  const bytes = files.reduce((n, f) => n + f.data.byteLength, 0);
  if (bytes > limits.maxBytes) throw tooLarge(bytes, limits);
  return files;
}

const tooLarge = (bytes: number, limits: UploadLimits) => new RefusedSubmission(
  `--working-dir: ${mb(bytes)} is more than this cluster takes (${mb(limits.maxBytes)}, raylaunch.max_upload_mb in the cluster config): add large files to .gitignore or point --working-dir at a smaller folder`,
);

const tooMany = (count: number, limits: UploadLimits) => new RefusedSubmission(
  `--working-dir: ${count} files are more than this cluster takes (${limits.maxFiles}, raylaunch.max_upload_files in the cluster config): add what the job does not need to .gitignore`,
);
