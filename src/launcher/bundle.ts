import { build, type Message as EsbuildMessage, type Plugin } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type BundleFacts, bundleError, checkJobExtension } from './bundle-errors.js';
import { JobBundleError } from './errors.js';
import { ESM_BANNER } from '../common/esm-banner.js';


/** Native addons cannot travel in a bundle: name the package that needs one. */
const noNativeAddons: Plugin = {
  name: 'raylaunch-no-native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({
      errors: [{ text: `${args.importer} loads the native addon ${args.path}, which cannot be bundled into a job` }],
    }));
  },
};

/**
 * How stacks should name a bundled file: as the user named the job (`submit job.ts`, `submit src/job.ts`: relative
 * to where they ran raylaunch; `submit /abs/job.ts`: absolute). The bundle's source map carries these names, and
 * the runtime turns the paths Node prints back into them (src/client/stack.ts).
 */
export function sourceName(file: string, o: { cwd: string; absolute: boolean }): string {
  return o.absolute ? file : relative(o.cwd, file) || file;
}

/** The esbuild map with its sources renamed for the user, appended to the code as an inline map. */
export function withUserSources(code: Uint8Array, mapText: string, o: { outDir: string; cwd: string; absolute: boolean }): Uint8Array {
  const map = JSON.parse(mapText) as { sources?: string[] };
  // A source with a scheme (a plugin's namespace) is not a file: leave it.
  map.sources = (map.sources ?? []).map((s) => (/^[a-z][a-z0-9+.-]*:/i.test(s) ? s : sourceName(resolve(o.outDir, s), o)));
  const tail = `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
  return Buffer.concat([code, Buffer.from(tail)]);
}

/**
 * Bundles a job file and everything it imports into one ESM file for the cluster, with `raylaunch` left
 * external (every process loads the node's own runtime) and names kept (remote() registers by name).
 */
export async function bundleJob(entry: string): Promise<Uint8Array> {
  checkJobExtension(entry);
  if (!existsSync(entry)) throw new JobBundleError(`job file ${entry} does not exist`, { hint: 'check the path of the job file' });
  const cwd = process.cwd();
  const naming = { cwd, absolute: isAbsolute(entry) };
  const outfile = join(dirname(resolve(entry)), 'job.mjs');
  try {
    const result = await build({
      absWorkingDir: cwd, entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', keepNames: true,
      sourcemap: 'external', external: ['raylaunch', 'raylaunch/*'], banner: { js: ESM_BANNER }, write: false, logLevel: 'silent',
      plugins: [noNativeAddons],
    });
    const code = result.outputFiles.find((f) => f.path === outfile);
    const map = result.outputFiles.find((f) => f.path === `${outfile}.map`);
    if (!code || !map) throw new JobBundleError(`bundling ${entry} produced no output`);
    return withUserSources(code.contents, map.text, { outDir: dirname(outfile), ...naming });
  } catch (e) {
    if (e instanceof JobBundleError) throw e;
    const errors = (e as { errors?: EsbuildMessage[] }).errors;
    if (errors?.length) throw bundleError(errors, diskFacts(cwd, dirname(resolve(entry)), naming));
    throw new JobBundleError(`cannot bundle ${entry}: ${(e as Error).message}`);
  }
}

/** What bundleError needs to know, read from this machine's disk (esbuild's paths are relative to `cwd`). */
function diskFacts(cwd: string, jobDir: string, naming: { cwd: string; absolute: boolean }): BundleFacts {
  const abs = (file: string) => resolve(cwd, file);
  const upFrom = function* (file: string) {
    for (let dir = dirname(abs(file)); ; dir = dirname(dir)) {
      yield dir;
      if (dirname(dir) === dir) return;
    }
  };
  return {
    name: (file) => sourceName(abs(file), naming),
    text: (file) => {
      try {
        return readFileSync(abs(file), 'utf8');
      } catch {
        return undefined;
      }
    },
    installFolder: (importer) => {
      for (const dir of upFrom(importer)) {
        if (!dir.split(sep).includes('node_modules') && existsSync(join(dir, 'package.json'))) return { dir, why: 'package.json' };
      }
      return { dir: jobDir, why: 'job folder' };
    },
    installed: (pkg, importer) => [...upFrom(importer)].some((dir) => existsSync(join(dir, 'node_modules', pkg, 'package.json'))),
  };
}
