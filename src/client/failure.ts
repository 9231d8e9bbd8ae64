/**
 * What a driver prints when the job fails: main()'s rejection, or an error thrown at the module's top level. The
 * job's author sees their own files named as they submitted them, and raylaunch's plumbing not at all.
 */
import { DriverCodeOutsideMainError, OUTSIDE_MAIN_HINT, TaskError } from './errors.js';
import { cleanStack, firstUserFrame, type JobSources } from './stack.js';

/** `job.ts:7: <message>`: where the user's code made the call, when the stack shows it. */
export function located(e: Error, sources: JobSources): string {
  const at = firstUserFrame(e.stack ?? '', sources);
  return at ? `${at.file}:${at.line}: ${e.message}` : e.message;
}

/** A call outside main(), here or (as a task's error) in a worker process loading the job. */
export function isOutsideMain(e: unknown): e is Error {
  return e instanceof DriverCodeOutsideMainError || (e instanceof TaskError && e.remoteName === 'DriverCodeOutsideMainError');
}

/** The text to print (ends with a newline). */
export function describeFailure(e: unknown, sources: JobSources): string {
  if (e instanceof DriverCodeOutsideMainError) return `error: ${located(e, sources)}\nhint: ${OUTSIDE_MAIN_HINT}\n`;
  // The worker process located it already (its message starts with file:line).
  if (isOutsideMain(e)) return `error: ${e.message}\nhint: ${OUTSIDE_MAIN_HINT}\n`;
  if (e instanceof TaskError) return `${e.stack ?? e.message}\n`;
  if (e instanceof Error) return `${cleanStack(e.stack ?? `${e.name}: ${e.message}`, sources)}\n`;
  return `${String(e)}\n`;
}
