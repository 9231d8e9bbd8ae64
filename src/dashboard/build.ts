/**
 * Builds the dashboard's pages for the browser: one script and one stylesheet (Preact, uPlot and the pages, minified,
 * nothing fetched from elsewhere) and the page that loads them. The runtime build puts them in the runtime folder
 * (dashboard-*), which the head serves (src/head/http/dashboard.ts); worker nodes do not get them.
 */
import { build } from 'esbuild';
import { basename, join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { DASHBOARD_PREFIX } from './files.js';


const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>raylaunch dashboard</title>
<link rel="stylesheet" href="/dashboard/app.css">
<script type="module" src="/dashboard/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

/** The dashboard's files, by their path in the runtime folder. */
export async function buildDashboard(): Promise<Map<string, Uint8Array>> {
  const root = packageRoot();
  const outdir = join(root, 'dist', 'runtime');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'src/dashboard/app/main.tsx' },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'src/dashboard/app/tsconfig.json',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, Uint8Array>([[`${DASHBOARD_PREFIX}index.html`, Buffer.from(INDEX_HTML)]]);
  for (const f of result.outputFiles) files.set(`${DASHBOARD_PREFIX}${basename(f.path)}`, f.contents);
  return files;
}
