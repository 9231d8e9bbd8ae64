/** esbuild plugins of the runtime build: what a bundle must do differently from node_modules for Node to agree. */
import type { Plugin } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clientService, type ProtoNode, pruneToService } from './compute-protos.js';

/** Optional native addons, each required in a try/catch with a pure-JavaScript fallback. */
const NATIVE_ADDON = /\.node$|^(cpu-features|bufferutil|utf-8-validate)$/;

/**
 * Replaces each optional native addon with a module that throws when required, so the dependency takes its
 * fallback: a compiled addon would not match the node's platform, and a lookup at run time could pick up a
 * stray node_modules above the runtime folder.
 */
export const leaveOutNativeAddons: Plugin = {
  name: 'raylaunch-leave-out-native-addons',
  setup(b) {
    b.onResolve({ filter: NATIVE_ADDON }, (args) => ({ path: args.path, namespace: 'native-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'native-addon' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is a native addon, left out of the raylaunch runtime`)});`,
      loader: 'js',
    }));
  },
};

/** Whether Node loads this file as CommonJS: .cjs, or .js under a package.json without "type": "module". */
function isCommonJs(file: string): boolean {
  const ext = extname(file);
  if (ext === '.cjs') return true;
  if (ext !== '.js') return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) return (JSON.parse(readFileSync(pj, 'utf8')) as { type?: string }).type !== 'module';
    if (dirname(dir) === dir) return true;
  }
}

/** Whether Node itself loads the file (a CommonJS file does; an ES module build with bare relative imports does not). */
async function loadsInNode(file: string): Promise<boolean> {
  try {
    await import(pathToFileURL(file).href);
    return true;
  } catch {
    return false;
  }
}

/**
 * With code splitting, esbuild hands a dynamically imported CommonJS package over as a namespace holding only
 * `default` (evanw/esbuild#3245), so `const { Client } = await import('ssh2')` would get undefined. Such imports
 * go through a small ES module instead that exports what Node gives: `default` (module.exports) plus the names
 * Node's CommonJS lexer finds, learnt by importing the package here the way Node would.
 */
export function dynamicCommonJsInterop(root: string): Plugin {
  return {
    name: 'raylaunch-dynamic-commonjs-interop',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || isBuiltin(args.path)) return undefined;
        const target = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
        if (target.errors.length > 0 || target.external || !isCommonJs(target.path)) return undefined;
        // A package without "type" may still hand esbuild an ES module build (its "module" field, as the AWS SDK's
        // dist-es): Node cannot load that file as CommonJS, and esbuild bundles it as the module it is.
        if (!(await loadsInNode(target.path))) return undefined;
        // Relative to the root: absolute paths would end up in the output and make its hash machine-specific.
        return { path: relative(root, target.path), namespace: 'commonjs-interop' };
      });
      b.onLoad({ filter: /.*/, namespace: 'commonjs-interop' }, async (args) => {
        const file = join(root, args.path);
        const names = Object.keys(await import(pathToFileURL(file).href) as object)
          .filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n)).sort();
        const lines = [`const m = require(${JSON.stringify(`./${args.path}`)});`, 'export default m;', ...names.map((n) => `export const ${n} = m.${n};`)];
        return { contents: `${lines.join('\n')}\n`, resolveDir: root, loader: 'js' };
      });
    },
  };
}

/** A generated client of @google-cloud/compute, which requires the package's whole protos.json. */
const COMPUTE_CLIENT = /@google-cloud[\\/]compute[\\/]build[\\/]src[\\/][^\\/]+[\\/]\w+_client\.js$/;

/**
 * Each @google-cloud/compute client gets protos.json pruned to the service it looks up (about 1/100 of the
 * file, see compute-protos.ts): the head loads a handful of clients, and the runtime is copied to every node.
 */
export function prunedComputeProtos(root: string): Plugin {
  const full = new Map<string, ProtoNode>();
  return {
    name: 'raylaunch-pruned-compute-protos',
    setup(b) {
      b.onResolve({ filter: /protos\.json$/ }, (args) => {
        if (!COMPUTE_CLIENT.test(args.importer)) return undefined;
        const service = clientService(readFileSync(args.importer, 'utf8'));
        if (!service) throw new Error(`${args.importer} looks up no service`);
        // Relative to the root: absolute paths would end up in the output and make its hash machine-specific.
        return { path: `${relative(root, join(args.resolveDir, args.path))}#${service}`, namespace: 'compute-protos' };
      });
      b.onLoad({ filter: /.*/, namespace: 'compute-protos' }, (args) => {
        const [file = '', service = ''] = args.path.split('#');
        let json = full.get(file);
        if (!json) full.set(file, json = JSON.parse(readFileSync(join(root, file), 'utf8')) as ProtoNode);
        return { contents: JSON.stringify(pruneToService(json, service)), loader: 'json' };
      });
    },
  };
}
