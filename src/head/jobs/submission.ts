import { type PackedFile, PackError, readPack } from '../../common/pack.js';

/** The head will not start a submitted job as asked; the message, for the submitter, says why. */
export class RefusedSubmission extends Error {
  override readonly name = 'RefusedSubmission';
}

/** What `job.submit` asks for that becomes a process: its arguments, its variables and its working directory. */
export interface Submission { args: readonly string[]; env: Readonly<Record<string, string>>; workingDir?: Uint8Array }

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The working directory's files once everything the driver's spawn would choke on (a NUL byte, a variable name
 * that is none, a path leaving the folder) has been ruled out; throws RefusedSubmission naming the first. The
 * CLI refuses the same before sending; this is for whatever reaches the head anyway.
 */
export function checkSubmission(req: Submission): PackedFile[] | undefined {
  req.args.forEach((a, i) => {
    if (a.includes('\0')) throw new RefusedSubmission(`argument ${i + 1} of the job holds a NUL byte`);
  });
  for (const [name, value] of Object.entries(req.env)) {
    if (!ENV_NAME.test(name)) throw new RefusedSubmission(`--env ${JSON.stringify(name)} is not a variable name (letters, digits and _, not first a digit)`);
    if (value.includes('\0')) throw new RefusedSubmission(`--env ${name}: its value holds a NUL byte`);
  }
  if (!req.workingDir) return undefined;
  try {
    return readPack(req.workingDir);
  } catch (e) {
    if (e instanceof PackError) throw new RefusedSubmission(`--working-dir: ${e.message}`);
    throw e;
  }
}
