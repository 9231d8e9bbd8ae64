/**
 * `submit --env` names that change how Node.js itself runs the job's processes (its driver and worker processes
 * run raylaunch's own runtime first), rather than what the job reads: refused unless the operator passes
 * --allow-node-env, so that one meant for a job's code cannot quietly load code, open a port or drop a check
 * in every process of the job. Each with why.
 */
export const NODE_RUNTIME_ENV: Readonly<Record<string, string>> = {
  NODE_OPTIONS: 'adds Node.js options to every process of the job (--require and --import run code before raylaunch\'s runtime, --inspect opens a debugger port)',
  NODE_PATH: 'changes where modules are found',
  NODE_PRESERVE_SYMLINKS: 'changes how modules resolve (the job\'s raylaunch is a link to the node\'s runtime)',
  NODE_REPL_EXTERNAL_MODULE: 'loads a module in place of the REPL',
  NODE_V8_COVERAGE: 'makes every process write coverage files into a folder',
  NODE_COMPILE_CACHE: 'makes every process keep compiled code in a folder',
  NODE_REDIRECT_WARNINGS: 'makes every process write its warnings into a file',
  NODE_ICU_DATA: 'loads ICU data from a file',
  NODE_EXTRA_CA_CERTS: 'makes TLS trust more certificate authorities',
  NODE_TLS_REJECT_UNAUTHORIZED: 'can turn TLS certificate checks off',
  NODE_TEST_CONTEXT: 'puts Node.js into its test runner\'s child mode',
  // Node's own plumbing between the agent and the worker processes it forks.
  NODE_CHANNEL_FD: 'is the IPC channel between a worker process and its agent',
  NODE_CHANNEL_SERIALIZATION_MODE: 'is the IPC channel between a worker process and its agent',
  NODE_UNIQUE_ID: 'belongs to Node.js\'s cluster module',
  OPENSSL_CONF: 'loads an OpenSSL configuration, which can load engines (shared libraries)',
  LD_PRELOAD: 'loads shared libraries into every process before it starts',
  LD_AUDIT: 'loads shared libraries into every process before it starts',
};
// Allowed, and why: NODE_ENV is the application's own (Node.js does not read it); NODE_DEBUG, NODE_NO_WARNINGS,
// NODE_PENDING_DEPRECATION, NODE_DISABLE_COLORS and UV_THREADPOOL_SIZE only change output or tuning;
// LD_LIBRARY_PATH is how native addons (CUDA, say) find their libraries.

/** Why a variable is refused without --allow-node-env, or undefined when it is not. */
export const nodeRuntimeEnv = (name: string): string | undefined => (Object.hasOwn(NODE_RUNTIME_ENV, name) ? NODE_RUNTIME_ENV[name] : undefined);
