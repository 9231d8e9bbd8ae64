/**
 * Builds the node runtime: head service, agent, worker process, client library, supervisor and check bundled
 * into one flat folder with every pure-JavaScript dependency inside, so a node needs only `node` and that
 * folder (no node_modules anywhere). `npm run build` runs this after tsc: `node dist/src/runtime/build.js`.
 */
import { build, type Metafile, type OutputFile } from 'esbuild';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../common/package-root.js';
import { RUNTIME_FILES } from './entries.js';
import { dynamicCommonJsInterop, leaveOutNativeAddons, prunedComputeProtos } from './esbuild-plugins.js';
import type { RuntimeManifest } from './layout.js';
import { withoutDependencyMaps } from './source-maps.js';
import { ESM_BANNER } from '../common/esm-banner.js';
import { buildDashboard } from '../dashboard/build.js';

const SQLITE_WASM = 'node-sqlite3-wasm.wasm';

const ENTRIES: { in: string; file: string }[] = [
  { in: 'src/head/main.ts', file: RUNTIME_FILES.head },
  { in: 'src/worker/main.ts', file: RUNTIME_FILES.agent },
  { in: 'src/worker/worker-process.ts', file: RUNTIME_FILES.workerProcess },
  { in: 'src/client/driver-process.ts', file: RUNTIME_FILES.driverProcess },
  { in: 'src/client/index.ts', file: RUNTIME_FILES.client },
  { in: 'src/runtime/supervisor.ts', file: RUNTIME_FILES.supervisor },
  { in: 'src/runtime/check.ts', file: RUNTIME_FILES.check },
];

/** What a worker node runs: everything but the head service (whose provider code loads the cloud SDKs). */
const WORKER_ENTRIES = ENTRIES.map((e) => e.file).filter((f) => f !== RUNTIME_FILES.head);

/**
 * The output files (relative to the bundle folder) that the given entries load, statically or by a dynamic
 * import, each with its source map: the bundle a node with only those entries needs.
 */
export function reachedFrom(meta: Metafile, outDir: string, entries: readonly string[]): string[] {
  const root = packageRoot();
  const rel = (p: string) => relative(outDir, join(root, p));
  const imports = new Map(Object.entries(meta.outputs).map(([p, o]) => [rel(p), o.imports.map((i) => i.path)]));
  const seen = new Set<string>();
  const todo = [...entries];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f) || !imports.has(f)) continue;
    seen.add(f);
    // Imports of node: built-ins and left-out packages are not output files: imports.has skips them.
    for (const i of imports.get(f) ?? []) todo.push(rel(i));
  }
  return [...seen].flatMap((f) => (imports.has(`${f}.map`) ? [f, `${f}.map`] : [f]));
}

export interface RuntimeBuild {
  dir: string;
  manifest: RuntimeManifest;
  /** Total size of the folder's files. */
  bytes: number;
  ms: number;
}

/** sha256 over the sorted names and contents, so the same sources always name the same folder. */
export function runtimeHash(files: ReadonlyMap<string, Uint8Array>): string {
  const h = createHash('sha256');
  for (const name of [...files.keys()].sort()) {
    const content = files.get(name) ?? new Uint8Array();
    h.update(`${name}\0${content.byteLength}\0`).update(content);
  }
  return h.digest('hex').slice(0, 12);
}

function runtimePackageJson(pkg: { version: string; engines?: Record<string, string> }): string {
  return `${JSON.stringify({
    name: 'raylaunch',
    version: pkg.version,
    description: 'The raylaunch node runtime (bundled): head service, agent, worker process and the job API',
    private: true,
    type: 'module',
    ...(pkg.engines ? { engines: pkg.engines } : {}),
    // Jobs import 'raylaunch' through a node_modules/raylaunch link to this folder.
    exports: { '.': `./${RUNTIME_FILES.client}`, './package.json': './package.json' },
  }, null, 2)}\n`;
}

/** Bundles the runtime into `outDir` (default dist/runtime), replacing what was there. */
export async function buildRuntime(o: { outDir?: string } = {}): Promise<RuntimeBuild> {
  const t0 = performance.now();
  const root = packageRoot();
  // Output paths (and so the source maps' relative paths to src/) are always computed for dist/runtime, so the
  // hash does not depend on where the folder is written.
  const virtualDir = join(root, 'dist', 'runtime');
  const outDir = o.outDir ?? virtualDir;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; engines?: Record<string, string> };
  const result = await build({
    absWorkingDir: root,
    entryPoints: ENTRIES.map((e) => ({ in: e.in, out: e.file.replace(/\.js$/, '') })),
    outdir: virtualDir,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]', // flat: every chunk sits beside the entries, where package-root.ts looks
    bundle: true,
    splitting: true, // one copy of each module: the worker process and the job's `raylaunch` share the client's state
    platform: 'node',
    format: 'esm',
    target: 'node20',
    keepNames: true, // the job API registers remote functions by name
    sourcemap: 'linked',
    sourcesContent: false, // stack traces need the mappings only; nodes have no use for the sources
    banner: { js: ESM_BANNER },
    plugins: [leaveOutNativeAddons, dynamicCommonJsInterop(root), prunedComputeProtos(root)],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const files = withoutDependencyMaps(new Map<string, Uint8Array>(result.outputFiles.map((f: OutputFile) => [relative(virtualDir, f.path), f.contents])));
  // The head's sqlite GCS store is SQLite compiled to WebAssembly: its loader (bundled into a chunk of this flat
  // folder) reads the .wasm from its own folder, so it goes here too. Heads only: no worker entry loads it.
  files.set(SQLITE_WASM, readFileSync(createRequire(join(root, 'package.json')).resolve(`node-sqlite3-wasm/dist/${SQLITE_WASM}`)));
  files.set(RUNTIME_FILES.packageJson, Buffer.from(runtimePackageJson(pkg)));
  // The dashboard's pages, which the head serves (no worker entry reaches them, so workers do not get them).
  for (const [name, content] of await buildDashboard()) files.set(name, content);
  const names = [...files.keys()].sort();
  const workerFiles = new Set([...reachedFrom(result.metafile, virtualDir, WORKER_ENTRIES), RUNTIME_FILES.packageJson].filter((f) => files.has(f)));
  const worker = new Map([...files].filter(([name]) => workerFiles.has(name)));
  const manifest: RuntimeManifest = {
    version: pkg.version, hash: runtimeHash(files), files: names,
    worker: { hash: runtimeHash(worker), files: [...worker.keys()].sort() },
  };

  // Written beside the target and renamed into place: a process running from the old folder keeps its files.
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  let bytes = 0;
  for (const name of names) {
    const content = files.get(name) ?? new Uint8Array();
    mkdirSync(dirname(join(staging, name)), { recursive: true });
    writeFileSync(join(staging, name), content);
    bytes += content.byteLength;
  }
  writeFileSync(join(staging, RUNTIME_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
  return { dir: outDir, manifest, bytes, ms: Math.round(performance.now() - t0) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const b = await buildRuntime();
  process.stdout.write(`runtime ${b.manifest.version}-${b.manifest.hash}: ${b.manifest.files.length} files, ${(b.bytes / 1024).toFixed(0)} KiB, built in ${b.ms} ms → ${relative(process.cwd(), b.dir) || '.'}\n`);
}
