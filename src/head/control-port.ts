import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { controlPortFile } from '../common/node-args.js';
import { type Listener, listen } from './control-plane.js';

export { controlPortFile } from '../common/node-args.js';

/** A port the head must listen on is held by another process: the supervisor's backoff retries the start. */
export class ControlPortTakenError extends Error {
  override readonly name = 'ControlPortTakenError';

  constructor(readonly address: string, readonly kept: boolean, cause: unknown) {
    super(kept
      ? `the head's address ${address} (kept in its state folder so that agents and drivers find a restarted head) is taken by another process: free that port; the head is started again with growing delays meanwhile`
      : `the head's port ${address} (raylaunch.control_plane_port) is taken by another process: free it or choose another port`, { cause });
  }
}

/** The port kept by an earlier start of this cluster's head, or undefined when there is none (or it is not a port). */
export function keptPort(stateDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(controlPortFile(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  const port = Number(text.trim());
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/**
 * Listens where this cluster's head listens (agents and drivers hold its host:port, so a restarted head service
 * must listen where the one before it did): the configured port when the config names one, else the port an
 * earlier start kept, else a free one, which is then kept (written atomically) for every later start.
 */
export async function listenKept(host: string, configured: number, stateDir: string): Promise<Listener> {
  const kept = configured === 0 ? keptPort(stateDir) : undefined;
  const port = configured !== 0 ? configured : kept ?? 0;
  let listener: Listener;
  try {
    listener = await listen(host, port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ControlPortTakenError(`${host}:${port}`, kept !== undefined, e);
    throw e;
  }
  if (configured === 0 && kept === undefined) {
    const file = controlPortFile(stateDir);
    writeFileSync(`${file}.tmp`, `${listener.port}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  return listener;
}
