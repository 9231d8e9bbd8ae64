/**
 * Source text for e2e job files: `waitFor(what, check, ms)` polls `check` every 20 ms until it holds. A job waits
 * with it for the event it needs (a task has said it runs, a node is dead, a file was written), never for a
 * duration. The bound only turns a hang into an error that names what was awaited; it is generous because a
 * loaded machine must not reach it. Paste it at the top level of a job, after its imports.
 */
export const JOB_WAIT_FOR = `
async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 30_000, everyMs = 20): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out after ' + ms + ' ms waiting for ' + what);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
`;
