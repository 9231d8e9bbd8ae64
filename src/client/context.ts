import { RaylaunchRuntimeError } from './errors.js';
import type { Runtime } from './runtime.js';

/** The one runtime of this process: a driver's connection, or a worker process's channel to its agent. */
export const context: { runtime: Runtime | undefined; worker: boolean; loadingModule: boolean; connecting: Promise<Runtime> | undefined } = {
  runtime: undefined,
  worker: process.env.RAYLAUNCH_WORKER === '1',
  loadingModule: false,
  connecting: undefined,
};

export function requireRuntime(what: string): Runtime {
  if (context.loadingModule) {
    throw new RaylaunchRuntimeError(`${what} was called while the job module was loading in a worker process: driver code belongs inside main()`);
  }
  if (!context.runtime) {
    throw new RaylaunchRuntimeError(`${what} was called before the driver connected to the cluster: driver code belongs inside main()`);
  }
  return context.runtime;
}
