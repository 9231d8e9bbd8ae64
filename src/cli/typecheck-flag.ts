import { Flags } from '@oclif/core';
import { typecheckJob } from '../launcher/typecheck.js';

/** --typecheck / --no-typecheck of `submit` and `run` (see src/launcher/typecheck.ts). */
export const typecheckFlag = Flags.boolean({
  allowNo: true,
  description: "Type-check the job with its own TypeScript (tsc --noEmit -p DIR, the TypeScript installed in the job's folder) before sending it; "
    + 'type errors stop it here, exit 1. On by default when the job\'s folder, or a parent up to the nearest package.json, has a tsconfig.json; '
    + '--no-typecheck turns it off.',
});

/** Type-checks the job (or throws its type errors); a check a tsconfig.json implied but that cannot run is a warning. */
export function typecheck(jobFile: string, flag: boolean | undefined): void {
  const { warning } = typecheckJob(jobFile, flag);
  if (warning) process.stderr.write(warning);
}
