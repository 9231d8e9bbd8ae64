/** esbuild plugins of the runtime build: what a bundle must do differently from node_modules for Node to agree. */
import type { Plugin } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

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
