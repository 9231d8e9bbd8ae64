import { readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import type { Message } from '../protocol/messages.js';
import { boundHandle } from './actor-handle.js';
import { context } from './context.js';
import { RaylaunchRuntimeError } from './errors.js';
import { CredentialRefusedError, HelloRefusedError } from './refusals.js';
import { processOutput } from './output.js';
import { reconnectTimeoutS, RECONNECT_TIMEOUT_ENV } from './reconnect.js';
import { ReconnectRefused, Runtime } from './runtime.js';
import type { Transport } from './transport.js';

export interface ConnectOptions { address?: string; token?: string; namespace?: string }

/**
 * The driver's credential: from the 0600 file RAYLAUNCH_CREDENTIAL_FILE names (a submitted job's, or the one
 * `raylaunch run` writes), removed as soon as it is read so nothing the driver starts later finds it; else
 * RAYLAUNCH_TOKEN, for a driver its operator starts by hand.
 */
function credentialFromEnv(): string | undefined {
  const file = process.env.RAYLAUNCH_CREDENTIAL_FILE;
  if (file) {
    delete process.env.RAYLAUNCH_CREDENTIAL_FILE;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new RaylaunchRuntimeError(`cannot read the driver's credential from ${file}: ${(e as Error).message} (it is read once, by the first init())`);
    } finally {
      rmSync(file, { force: true });
    }
  }
  return process.env.RAYLAUNCH_TOKEN || undefined;
}

/** Connects this process as a driver (once); the head gives it a job unless RAYLAUNCH_JOB_ID names one. */
export async function connectDriver(opts: ConnectOptions = {}): Promise<Runtime> {
  if (context.runtime) return context.runtime;
  if (context.worker) throw new RaylaunchRuntimeError('init() is for drivers; worker processes are connected already');
  context.connecting ??= (async () => {
    const address = opts.address ?? process.env.RAYLAUNCH_ADDRESS;
    const token = opts.token ?? credentialFromEnv();
    if (!address || !token) {
      throw new RaylaunchRuntimeError('no cluster to connect to: run the job with `raylaunch submit job.ts` or with `raylaunch run job.ts`, or set RAYLAUNCH_ADDRESS and RAYLAUNCH_TOKEN');
    }
    // Only drivers load ws. Both load before the handshake: the runtime must take over the connection as soon as
    // the head has welcomed it, or messages that follow the welcome would be lost.
    const [{ wsTransport }, { ObjectFetcher }] = await Promise.all([import('./ws-transport.js'), import('../worker/object-fetcher.js')]);
    const transport = await wsTransport(address, token);
    const clientId = Runtime.newClientId('driver');
    const jobId = process.env.RAYLAUNCH_JOB_ID;
    const namespace = opts.namespace ?? process.env.RAYLAUNCH_NAMESPACE;
    const welcome = await handshake(transport, { type: 'hello', role: 'driver', clientId, ...(jobId ? { jobId } : ownModule()), ...(namespace ? { namespace } : {}) });
    // Back after a drop: the same client, job and credential (kept in memory: its file is gone), to this head's address.
    const again: Extract<Message, { type: 'hello' }> = {
      type: 'hello', role: 'driver', clientId, ...(welcome.jobId ? { jobId: welcome.jobId } : {}), ...(welcome.namespace ? { namespace: welcome.namespace } : {}),
    };
    // Object servers admit the object credential the head hands its drivers, not the driver's own; each start of
    // the head mints a new one, which a driver back after a restart takes from its welcome.
    const fetcherOptions = { token: welcome.objectCredential ?? '' };
    const fetcher = new ObjectFetcher(fetcherOptions);
    const reconnect = {
      timeoutMs: reconnectTimeoutS(welcome.reconnectTimeoutS, process.env[RECONNECT_TIMEOUT_ENV]) * 1000,
      attempt: async () => {
        const back = await resumeConnection(wsTransport, address, token, again);
        if (back.welcome.objectCredential) fetcherOptions.token = back.welcome.objectCredential;
        return back.transport;
      },
    };
    const rt = new Runtime(transport, {
      role: 'driver', clientId, jobId: welcome.jobId ?? '', nodeId: welcome.headNodeId, inlineLimit: welcome.inlineLimit,
      namespace: welcome.namespace ?? namespace ?? welcome.jobId ?? '',
    }, { output: processOutput, reviveHandle: boundHandle, fetchDirect: (addr, id) => fetcher.fetch(addr, id), onClosed: () => fetcher.close(), reconnect });
    context.runtime = rt;
    context.disconnected = false;
    // A driver that ends by process.exit() still tells the head (the write goes out at once: little waits on the
    // socket then), and so does one ended by Ctrl-C or a kill: else its job would wait for it as for a driver whose
    // network dropped. Only SIGKILL says nothing.
    process.once('exit', (code) => rt.sayExit(exitCodeNow(code)));
    sayExitOnSignals((code) => rt.sayExit(code));
    return rt;
  })();
  try {
    return await context.connecting;
  } catch (e) {
    context.connecting = undefined;
    throw e;
  }
}

const ENDING_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * A signal that would end the driver (no handler of the job's own takes it) tells the head first, with the shell's
 * exit code for it (128 + the signal's number), then ends the process as the signal would have. A job with a
 * handler of its own got the same signal from the same emit and decides itself; nothing is said for it then.
 */
function sayExitOnSignals(say: (exitCode: number) => void): void {
  for (const [signal, n] of Object.entries(ENDING_SIGNALS)) {
    process.once(signal, () => {
      if (process.listenerCount(signal) > 0) return;
      say(128 + n);
      // No listener is left, so the signal's default action now applies.
      process.kill(process.pid, signal);
    });
  }
}

/** The exit code the process would end with now: process.exitCode (main() sets 1 when its function fails), else 0. */
export function exitCodeNow(code: number | string | null | undefined = process.exitCode): number {
  const n = Number(code ?? 0);
  return Number.isInteger(n) ? n : 1;
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

/**
 * One attempt to take a dropped driver's connection back: a head that cannot be reached (or is still starting)
 * is tried again; one that refuses its credential or its job (the job ended meanwhile) is final.
 */
async function resumeConnection(
  connect: (address: string, token: string) => Promise<Transport>, address: string, token: string, hello: Extract<Message, { type: 'hello' }>,
): Promise<{ transport: Transport; welcome: Extract<Message, { type: 'welcome' }> }> {
  const transport = await connect(address, token).catch((e: unknown) => {
    if (e instanceof CredentialRefusedError) throw new ReconnectRefused(e.message);
    throw e;
  });
  try {
    return { transport, welcome: await handshake(transport, hello) };
  } catch (e) {
    await transport.close();
    throw e instanceof HelloRefusedError ? new ReconnectRefused(e.message) : e;
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
          reject(new HelloRefusedError(m.message));
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
