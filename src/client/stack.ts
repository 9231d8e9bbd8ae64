/**
 * Stacks as a job's author should see them: frames in their own files, named as they submitted them (`job.ts:12:11`),
 * and none of raylaunch's (the runtime bundle, the worker process's plumbing) or Node's internals.
 *
 * `raylaunch submit` writes each source's path into the job bundle's source map as the user named it (see
 * src/launcher/bundle.ts); Node (--enable-source-maps) resolves those against the bundle's own location on the node,
 * so a frame reads `/…/jobs/job-1a2b/job.ts:12:11`. The map below turns that back into `job.ts:12:11`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The job's own files: each as Node prints it in a stack → as the user named it. */
export type JobSources = ReadonlyMap<string, string>;

/** What Node prints for each source of a bundle's source map, exactly as it resolves them (against the bundle's URL). */
export function jobSources(bundleFile: string, sources: readonly string[], sourceRoot = ''): JobSources {
  const base = pathToFileURL(bundleFile).href;
  const out = new Map<string, string>();
  for (const s of sources) {
    try {
      const url = new URL(sourceRoot + s, base).href;
      out.set(url.startsWith('file://') ? fileURLToPath(url) : url, s);
    } catch {
      // Not a URL Node could resolve either: no frame will name it.
    }
  }
  return out;
}

export interface Frame { file: string; line: number; column: number }

// `    at fn (file:1:2)`, `    at async fn (file:1:2)`, `    at file:1:2`
const FRAME = /^(\s+at (?:.*? \()?)(.+?):(\d+):(\d+)(\)?)$/;
const IS_FRAME = /^\s+at /;

function userFrame(line: string, sources: JobSources): { text: string; frame: Frame } | undefined {
  const m = FRAME.exec(line);
  if (!m) return undefined;
  const [, head = '', file = '', l = '0', c = '0', tail = ''] = m;
  const shown = sources.get(file);
  if (shown === undefined) return undefined;
  return { text: `${head}${shown}:${l}:${c}${tail}`, frame: { file: shown, line: Number(l), column: Number(c) } };
}

/**
 * The stack with only the job's own frames, each naming the file as the user did; the message lines stay. An
 * error raised inside Node or raylaunch keeps its message and loses the frames, which would only say where in
 * raylaunch it surfaced.
 */
export function cleanStack(stack: string, sources: JobSources): string {
  if (sources.size === 0) return stack; // a bundle built by hand, without a map: nothing to tell the frames apart by
  const out: string[] = [];
  for (const line of stack.split('\n')) {
    if (!IS_FRAME.test(line)) out.push(line);
    else {
      const u = userFrame(line, sources);
      if (u) out.push(u.text);
    }
  }
  while (out.length > 1 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

/** The innermost frame of the stack that is in the job's own files: where the user's code made the call. */
export function firstUserFrame(stack: string, sources: JobSources): Frame | undefined {
  for (const line of stack.split('\n')) {
    if (!IS_FRAME.test(line)) continue;
    const u = userFrame(line, sources);
    if (u) return u.frame;
  }
  return undefined;
}
