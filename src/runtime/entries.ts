/**
 * File names inside a runtime bundle folder. Kept free of imports so that package-root.ts (which every node
 * process loads) can name them without pulling in the build or layout code.
 */
export const RUNTIME_FILES = {
  head: 'head.js',
  agent: 'agent.js',
  workerProcess: 'worker-process.js',
  driverProcess: 'driver-process.js',
  client: 'client.js',
  supervisor: 'supervisor.js',
  check: 'check.js',
  packageJson: 'package.json',
  manifest: 'manifest.json',
} as const;

/** The entry points as the TypeScript build lays them out under dist/, and their names in the bundle. */
export const DIST_TO_BUNDLE = {
  'src/head/main.js': RUNTIME_FILES.head,
  'src/worker/main.js': RUNTIME_FILES.agent,
  'src/worker/worker-process.js': RUNTIME_FILES.workerProcess,
  'src/client/driver-process.js': RUNTIME_FILES.driverProcess,
  'src/runtime/supervisor.js': RUNTIME_FILES.supervisor,
} as const;

export type DistEntry = keyof typeof DIST_TO_BUNDLE;
