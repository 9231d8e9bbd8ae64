import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Message } from '../protocol/messages.js';
import { boundHandle } from './actor-handle.js';
import { context } from './context.js';
import { RaylaunchRuntimeError } from './errors.js';
import { processOutput } from './output.js';
import { Runtime } from './runtime.js';
import type { Transport } from './transport.js';

export interface ConnectOptions { address?: string; token?: string; namespace?: string }

function tokenFromEnv(): string | undefined {
  if (process.env.RAYLAUNCH_TOKEN) return process.env.RAYLAUNCH_TOKEN;
  const file = process.env.RAYLAUNCH_TOKEN_FILE;
  return file ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Connects this process as a driver (once); the head gives it a job unless RAYLAUNCH_JOB_ID names one. */
export async function connectDriver(opts: ConnectOptions = {}): Promise<Runtime> {
  if (context.runtime) return context.runtime;
  if (context.worker) throw new RaylaunchRuntimeError('init() is for drivers; worker processes are connected already');
  context.connecting ??= (async () => {
    const address = opts.address ?? process.env.RAYLAUNCH_ADDRESS;
    const token = opts.token ?? tokenFromEnv();
    if (!address || !token) {
      throw new RaylaunchRuntimeError('no cluster to connect to: run the job with `raylaunch submit job.ts`, or set RAYLAUNCH_ADDRESS and RAYLAUNCH_TOKEN');
    }
    // Only drivers load ws. Both load before the handshake: the runtime must take over the connection as soon as
    // the head has welcomed it, or messages that follow the welcome would be lost.
    const [{ wsTransport }, { ObjectFetcher }] = await Promise.all([import('./ws-transport.js'), import('../worker/object-fetcher.js')]);
    const fetcher = new ObjectFetcher({ token });
    const transport = await wsTransport(address, token);
    const clientId = Runtime.newClientId('driver');
    const jobId = process.env.RAYLAUNCH_JOB_ID;
    const namespace = opts.namespace ?? process.env.RAYLAUNCH_NAMESPACE;
    const welcome = await handshake(transport, { type: 'hello', role: 'driver', clientId, ...(jobId ? { jobId } : ownModule()), ...(namespace ? { namespace } : {}) });
    const rt = new Runtime(transport, {
      role: 'driver', clientId, jobId: welcome.jobId ?? '', nodeId: welcome.headNodeId, inlineLimit: welcome.inlineLimit,
      namespace: welcome.namespace ?? namespace ?? welcome.jobId ?? '',
    }, { output: processOutput, reviveHandle: boundHandle, fetchDirect: (addr, id) => fetcher.fetch(addr, id), onClosed: () => fetcher.close() });
    context.runtime = rt;
    context.disconnected = false;
    return rt;
  })();
  try {
    return await context.connecting;
  } catch (e) {
    context.connecting = undefined;
    throw e;
  }
}

/**
 * A driver started by hand (`node job.mjs` with RAYLAUNCH_ADDRESS set) brings its own bundled module, so that
 * worker processes can load the same remote functions.
 */
function ownModule(): { bundle?: Uint8Array; name?: string } {
  const file = process.argv[1];
  if (!file || !/\.m?js$/.test(file)) return {};
  try {
    return { bundle: readFileSync(file), name: basename(file) };
  } catch {
    return {};
  }
}

/** Sends hello and waits for the head's welcome (or its refusal). */
export function handshake(transport: Transport, hello: Extract<Message, { type: 'hello' }>, timeoutMs = 15_000): Promise<Extract<Message, { type: 'welcome' }>> {
  return new Promise((resolve, reject) => {
    // A head that accepted the socket but never answers must not hold the caller forever.
    const timer = setTimeout(() => reject(new RaylaunchRuntimeError(`the cluster did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const settle = () => clearTimeout(timer);
    transport.onMessages((msgs) => {
      for (const m of msgs) {
        if (m.type === 'welcome') {
          settle();
          resolve(m);
        } else if (m.type === 'fatal') {
          settle();
          reject(new RaylaunchRuntimeError(m.message));
        }
      }
    });
    transport.onClose((reason) => {
      settle();
      reject(new RaylaunchRuntimeError(`the cluster closed the connection: ${reason}`));
    });
    transport.send([hello]);
  });
}
