import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { fsError, ProviderConfigError, TransientProviderError } from '../errors.js';
import { readStatSync } from './proc.js';
import type { ProcessNodeCommand } from './types.js';

/** The identity of a freshly started node process. */
export interface Spawned {
  pid: number;
  startTime: number;
}

async function spawnError(child: ChildProcess, file: string, id: string): Promise<ProviderConfigError | TransientProviderError> {
  // Without a pid, Node reports the reason as an 'error' event on a later tick.
  const [e] = (await once(child, 'error')) as [NodeJS.ErrnoException];
  const message = `cannot start node ${id}: ${file}: ${e.code ?? e.message}`;
  if (e.code === 'ENOENT') {
    return new ProviderConfigError(message, {
      cause: e,
      hint: 'Use an absolute path for the node command: it is looked up on the PATH of the command env, not raylaunch’s.',
    });
  }
  if (e.code === 'EACCES' || e.code === 'ENOEXEC' || e.code === 'ENOTDIR') {
    return new ProviderConfigError(message, { cause: e, hint: 'The node command must be an executable file.' });
  }
  return new TransientProviderError(message, { cause: e }); // EAGAIN, ENOMEM: the machine is busy
}

/**
 * Starts one node in its own session and process group (detached ⇒ setsid), so terminate() can find its whole
 * tree by group, and with stdio on its log file rather than ours, so `$(raylaunch up …)` does not wait for the
 * node to close the caller's pipe. `stdin`: one line written to the node's stdin pipe (its credential), which is
 * then closed; without it stdin is /dev/null.
 */
export async function spawnNode(cmd: ProcessNodeCommand, args: string[], logFile: string, id: string, stdin?: string): Promise<Spawned> {
  let log: FileHandle;
  try {
    log = await open(logFile, 'a', 0o600);
  } catch (e) {
    throw fsError('open', logFile, e);
  }
  try {
    let child: ChildProcess;
    try {
      child = spawn(cmd.file, args, { detached: true, stdio: [stdin === undefined ? 'ignore' : 'pipe', log.fd, log.fd], env: { ...cmd.env } });
    } catch (e) {
      // Synchronous throws are argument problems (a NUL byte in an argument, say): the config's fault.
      throw new ProviderConfigError(`cannot start node ${id}: ${String(e)}`, { cause: e, hint: 'Check the node command.' });
    }
    if (child.pid === undefined) throw await spawnError(child, cmd.file, id);
    if (stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // a node that died at once: its record and log say so
      child.stdin.end(`${stdin}\n`);
    }
    // Read before any await: until the event loop turns, a child that already died is an unreaped zombie whose
    // /proc entry (and start time) is still there.
    const stat = readStatSync(child.pid);
    child.on('error', () => undefined); // later errors (a failed kill) must not crash raylaunch
    child.unref();
    if (stat === undefined) throw new TransientProviderError(`node ${id} (pid ${child.pid}) vanished before it could be recorded`);
    return { pid: child.pid, startTime: stat.startTime };
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close().catch(() => undefined);
  }
}
