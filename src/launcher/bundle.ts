import { build, type Message as EsbuildMessage, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

function describe(m: EsbuildMessage): string {
  const loc = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
  return `${loc}${m.text}`;
}

/**
 * Bundles a job file and everything it imports into one ESM file for the cluster, with `raylaunch` left
 * external (every process loads the node's own runtime) and names kept (remote() registers by name).
 */
export async function bundleJob(entry: string): Promise<Uint8Array> {
  if (!existsSync(entry)) throw new JobBundleError(`job file ${entry} does not exist`, { hint: 'check the path of the job file' });
  try {
    const result = await build({
      // outfile beside the entry: source-map paths come out relative to the job's folder (stacks say job.ts:12).
      entryPoints: [entry], outfile: join(dirname(resolve(entry)), 'job.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node20', keepNames: true,
      sourcemap: 'inline', external: ['raylaunch', 'raylaunch/*'], banner: { js: ESM_BANNER }, write: false, logLevel: 'silent',
      plugins: [noNativeAddons],
    });
    const out = result.outputFiles[0];
    if (!out) throw new JobBundleError(`bundling ${entry} produced no output`);
    return out.contents;
  } catch (e) {
    if (e instanceof JobBundleError) throw e;
    const errors = (e as { errors?: EsbuildMessage[] }).errors;
    if (errors?.length) {
      const native = errors.some((m) => /native addon/.test(m.text));
      throw new JobBundleError(`cannot bundle ${entry}:\n${errors.map((m) => `  ${describe(m)}`).join('\n')}`, {
        hint: native ? 'jobs cannot use packages with native addons; use a pure-JavaScript alternative' : 'fix the error above (imports must resolve from the job file\'s folder)',
      });
    }
    throw new JobBundleError(`cannot bundle ${entry}: ${(e as Error).message}`);
  }
}
