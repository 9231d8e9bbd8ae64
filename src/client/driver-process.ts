/**
 * A job's driver process: `node --enable-source-maps driver-process.js JOB.mjs [ARGS…]`, started by the head's job
 * manager (`submit`) or by `raylaunch run`. It loads the job's module the way worker processes do, so that an error
 * escaping the module's top level reads as main()'s failures do — driver code outside main() (as in a Ray driver
 * script) as one line naming the user's file and line, anything else as its stack in the user's files — rather
 * than as Node's crash dump quoting raylaunch's source.
 */
import { pathToFileURL } from 'node:url';
import { shutdown } from './api.js';
import { ownBundleSources } from './bundle-sources.js';
import { context } from './context.js';
import { describeFailure } from './failure.js';

const bundle = process.argv[2];
if (!bundle) {
  process.stderr.write('usage: driver-process.js JOB.mjs [ARGS…]\n');
  process.exit(2);
}
// The job sees itself as the script node ran: main() passes it the arguments after JOB.mjs.
process.argv.splice(1, 1);
context.bundleFile = bundle;
try {
  await import(pathToFileURL(bundle).href);
} catch (e) {
  process.stderr.write(describeFailure(e, ownBundleSources()));
  // Set first: a driver connected by then tells the head it ends with it (shutdown() sends process.exitCode).
  process.exitCode = 1;
  await shutdown().catch(() => undefined);
  // Whatever the module started (timers, sockets) must not keep a failed driver alive.
  process.exit(1);
}
