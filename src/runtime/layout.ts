/**
 * Where the node runtime bundle lives: dist/runtime of the installed package on this machine, and
 * ~/.raylaunch/runtime/<version>-<hash>/ on a node reached over SSH (one folder per distinct build, so an
 * upload is skipped when the folder is already there and never replaces files a running node uses).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, runningBundled } from '../common/package-root.js';
import { RUNTIME_FILES } from './entries.js';
import { RUNTIME_VERSION } from '../config/hash.js';

export { RUNTIME_FILES } from './entries.js';

/** The bundle's entry files, as a launcher starts them on a node: `node <dir>/<file> …`. */
export const AGENT_ENTRY = RUNTIME_FILES.agent;
export const SUPERVISOR_ENTRY = RUNTIME_FILES.supervisor;
/** `node <dir>/check.js` exits 0 when the runtime can run on that machine (Node version, bundled ssh2). */
export const CHECK_ENTRY = RUNTIME_FILES.check;

/** manifest.json of a runtime folder. */
export interface RuntimeManifest {
  /** raylaunch's package version. */
  version: string;
  /** First 12 hex digits of sha256 over the folder's files (names and contents, manifest excluded). */
  hash: string;
  /** Every file of the folder but the manifest, sorted. */
  files: string[];
  /**
   * What a worker node gets: the files its entries reach (the head's alone, such as the AWS SDK's chunks, left
   * out), hashed as a folder of their own, so a head and a worker on one host keep apart folders.
   */
  worker?: RuntimeRole;
}

export interface RuntimeRole {
  hash: string;
  files: string[];
}

/** This installation's runtime as the updater sends it: its folder, and what a worker gets of it. */
export interface LocalRuntime {
  dir: string;
  version: string;
  hash: string;
  worker?: RuntimeRole;
}

/** The runtime bundle of this installation: dist/runtime, or the folder this code runs from when bundled. */
export function localRuntimeDir(): string {
  return runningBundled() ? packageRoot() : join(packageRoot(), 'dist', 'runtime');
}

export function readRuntimeManifest(dir: string = localRuntimeDir()): RuntimeManifest {
  const file = join(dir, RUNTIME_FILES.manifest);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`no runtime bundle in ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)}): run npm run build`, { cause: e });
  }
  const m = JSON.parse(text) as Partial<Omit<RuntimeManifest, 'worker'>> & { worker?: Partial<RuntimeRole> };
  if (typeof m.version !== 'string' || typeof m.hash !== 'string' || !/^[0-9a-f]{12}$/.test(m.hash) || !Array.isArray(m.files)
    || !m.files.every((f) => typeof f === 'string')) {
    throw new Error(`${file} is not a runtime manifest`);
  }
  const w = m.worker;
  const worker = w !== undefined && typeof w.hash === 'string' && /^[0-9a-f]{12}$/.test(w.hash) && Array.isArray(w.files) && w.files.every((f) => typeof f === 'string')
    ? { worker: { hash: w.hash, files: w.files } } : {};
  return { version: m.version, hash: m.hash, files: m.files, ...worker };
}

/** The runtime of a folder (default: this installation's), ready for NodeUpdater. */
export function localRuntime(dir: string = localRuntimeDir()): LocalRuntime {
  const m = readRuntimeManifest(dir);
  return { dir, version: m.version, hash: m.hash, ...(m.worker ? { worker: m.worker } : {}) };
}

/** The folder a node keeps this runtime in, relative to the remote user's home. */
export function remoteRuntimeDir(m: Pick<RuntimeManifest, 'version' | 'hash'>): string {
  return `.raylaunch/runtime/${m.version}-${m.hash}`;
}

/**
 * The version this process runs, for `status`: `<version>-<hash>` when running from a runtime bundle (nodes
 * reached over SSH), the package version otherwise.
 */
export function runtimeBuild(): string {
  if (!runningBundled()) return RUNTIME_VERSION;
  try {
    const m = readRuntimeManifest(packageRoot());
    return `${m.version}-${m.hash}`;
  } catch {
    return RUNTIME_VERSION;
  }
}
