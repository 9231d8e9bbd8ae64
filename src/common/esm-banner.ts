/**
 * Prepended to every ESM bundle raylaunch builds (jobs, the node runtime): ESM has no require, __filename or
 * __dirname, and bundled CommonJS dependencies (ws, ssh2, ajv, a job's own) expect them.
 */
export const ESM_BANNER = [
  "import { createRequire as __raylaunchCreateRequire } from 'node:module';",
  "import { fileURLToPath as __raylaunchFileURLToPath } from 'node:url';",
  "import { dirname as __raylaunchDirname } from 'node:path';",
  'const require = __raylaunchCreateRequire(import.meta.url);',
  'const __filename = __raylaunchFileURLToPath(import.meta.url);',
  'const __dirname = __raylaunchDirname(__filename);',
].join('\n');
