/**
 * `up`'s check, on the process provider, that raylaunch.worker_user can reach what its worker processes need here:
 * the cluster's folder (every node's folder lies below it) and the runtime they load. Without it the head's agent
 * refuses to start, and `up` could say no more than "the head exited while starting".
 */
import { dirname, join } from 'node:path';
import { runtimeEntry, runtimeRoot } from '../common/package-root.js';
import { closedTo, describeClosed, lookupWorkerUser, pathFacts, pathsDownTo, readableBy, type WorkerUser, WorkerUserError } from '../worker/worker-user.js';
import { WorkerUserUnusableError } from './errors.js';

/** What a worker process loads: its entry, and the package `import 'raylaunch'` resolves to. */
export interface WorkerRuntime { root: string; entry: string }

const installed = (): WorkerRuntime => ({ root: runtimeRoot().dir, entry: runtimeEntry('src/worker/worker-process.js') });

/** Throws WorkerUserUnusableError naming what the worker user cannot reach; `clusterDir` must exist. */
export function checkWorkerUserReach(name: string, clusterDir: string, runtime: WorkerRuntime = installed()): void {
  const user = knownUser(name);
  const closed = closedTo(pathsDownTo(clusterDir), user);
  if (closed.length > 0) {
    throw new WorkerUserUnusableError(`raylaunch.worker_user "${name}" cannot reach the cluster's folder ${clusterDir}, where its nodes' folders are: ${describeClosed(closed)} ${closed.length === 1 ? 'is' : 'are'} closed to other users`, {
      hint: `let others pass through: chmod o+x ${closed.map((f) => f.path).join(' ')} (they may then pass, not list); or set RAYLAUNCH_HOME to a folder they can pass through (the default ~/.raylaunch is in your home folder, closed when that is /root)`,
    });
  }
  const folders = closedTo(pathsDownTo(dirname(runtime.entry)), user);
  const files = [runtime.entry, join(runtime.root, 'package.json')].map(pathFacts).filter((f) => !readableBy(f, user));
  if (folders.length > 0 || files.length > 0) {
    const what = [...(folders.length > 0 ? [`${describeClosed(folders)} closed to other users`] : []), ...files.map((f) => `${f.path} (mode ${f.mode.toString(8)}) unreadable to them`)];
    throw new WorkerUserUnusableError(`raylaunch.worker_user "${name}" cannot read the runtime its worker processes load, ${runtime.root}: ${what.join('; ')}`, {
      hint: 'install raylaunch where other users can read it (not under /root), or let them (chmod o+x on its folders, o+r on its files), or remove worker_user',
    });
  }
}

function knownUser(name: string): WorkerUser {
  try {
    return lookupWorkerUser(name, process.getuid?.());
  } catch (e) {
    if (e instanceof WorkerUserError) throw new WorkerUserUnusableError(e.message, { cause: e, hint: 'fix raylaunch.worker_user in the cluster config' });
    throw e;
  }
}
