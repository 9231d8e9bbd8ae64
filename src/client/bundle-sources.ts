import { readFileSync } from 'node:fs';
import { context } from './context.js';
import { jobSources, type JobSources } from './stack.js';

const INLINE_MAP = '//# sourceMappingURL=data:application/json;base64,';
const cache = new Map<string, JobSources>();

/**
 * The job's own source files, from the inline source map of its bundle (read once, on the first error that needs
 * it). A bundle without a map (one built by hand) has none, and its stacks stay as Node printed them.
 */
export function bundleSources(bundleFile: string): JobSources {
  let s = cache.get(bundleFile);
  if (!s) {
    s = new Map();
    try {
      const text = readFileSync(bundleFile, 'utf8');
      const at = text.lastIndexOf(INLINE_MAP);
      if (at >= 0) {
        const b64 = text.slice(at + INLINE_MAP.length).trim();
        const map = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { sources?: unknown; sourceRoot?: unknown };
        const list = Array.isArray(map.sources) ? map.sources.filter((x): x is string => typeof x === 'string') : [];
        s = jobSources(bundleFile, list, typeof map.sourceRoot === 'string' ? map.sourceRoot : '');
      }
    } catch {
      // Unreadable: stacks stay as Node printed them.
    }
    cache.set(bundleFile, s);
  }
  return s;
}

/** The job bundle this process runs: set by the driver and worker processes, else the script node was started with. */
export function ownBundleSources(): JobSources {
  const file = context.bundleFile ?? (process.argv[1] && /\.m?js$/.test(process.argv[1]) ? process.argv[1] : undefined);
  return file ? bundleSources(file) : new Map();
}
