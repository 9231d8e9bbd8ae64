import { DriverCodeOutsideMainError } from './errors.js';
import type { Runtime } from './runtime.js';

/** The one runtime of this process: a driver's connection, or a worker process's channel to its agent. */
export const context: {
  runtime: Runtime | undefined; worker: boolean; loadingModule: boolean; connecting: Promise<Runtime> | undefined;
  /** The driver has disconnected (shutdown()). */
  disconnected: boolean;
  /** The job bundle this process loaded (set by the driver and worker processes): stacks name its files. */
  bundleFile: string | undefined;
} = {
  runtime: undefined,
  worker: process.env.RAYLAUNCH_WORKER === '1',
  loadingModule: false,
  connecting: undefined,
  disconnected: false,
  bundleFile: undefined,
};

export function requireRuntime(what: string): Runtime {
  if (context.loadingModule) throw new DriverCodeOutsideMainError(what, 'worker-load');
  if (!context.runtime) {
    throw new DriverCodeOutsideMainError(what, context.connecting ? 'connecting' : context.disconnected ? 'disconnected' : 'top-level');
  }
  return context.runtime;
}
