/**
 * Opening one ssh2 connection to a node: retried with backoff while the node boots, with its host key pinned in the
 * cluster's known_hosts (never ignored). A key mismatch is final; so is a key refused three times.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ServerHostKeyAlgorithm } from 'ssh2';
import { HostKeyMismatchError, HostKeyUnknownError, SshConnectError, type SshAddress, type SshConnectReason } from '../errors.js';
import { fingerprint, keyTypeOf, lookup, parsePublicKey, pin } from '../known-hosts.js';
import type { SshTarget } from '../runner.js';

export interface ConnectOptions {
  /** Overall deadline for all attempts. */
  connectTimeoutMs: number;
  /** Per attempt: TCP connect + handshake + authentication. */
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Told why each failed attempt failed ("connection refused", "timed out", …) before the next one. */
  onWait?(reason: string): void;
  signal?: AbortSignal;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;
/** A refused key is retried this often (authorized_keys may still be being written by cloud-init), no more. */
const AUTH_RETRIES = 2;

/** The server host key algorithms that make a server present a key of this type. */
function algorithmsFor(keyType: string): ServerHostKeyAlgorithm[] {
  switch (keyType) {
    case 'ssh-rsa':
      return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    case 'ssh-ed25519':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'ssh-dss':
      return [keyType];
    default:
      return [];
  }
}

interface HostKeyPolicy {
  /** Accepted keys; empty: trust on first use. */
  pinned: Buffer[];
  source: 'provider' | 'known_hosts' | 'first-use';
}

async function hostKeyPolicy(t: SshTarget, port: number): Promise<HostKeyPolicy> {
  if (t.expectedHostKey !== undefined) {
    try {
      return { pinned: [parsePublicKey(t.expectedHostKey)], source: 'provider' };
    } catch (e) {
      throw new Error(`the host key reported for ${t.host}: ${(e as Error).message}`, { cause: e });
    }
  }
  const pinned = await lookup(t.knownHostsPath, t.host, port);
  return { pinned, source: pinned.length > 0 ? 'known_hosts' : 'first-use' };
}

/** One failed attempt that a later attempt may get past. */
class AttemptFailure extends Error {
  constructor(
    readonly reason: SshConnectReason,
    readonly text: string,
    override readonly cause: Error,
  ) {
    super(text, { cause });
  }
}

function classify(err: Error & { code?: unknown; level?: unknown }): AttemptFailure {
  const code = typeof err.code === 'string' ? err.code : '';
  if (err.level === 'client-authentication') return new AttemptFailure('auth', 'authentication failed', err);
  if (code === 'ECONNREFUSED') return new AttemptFailure('refused', 'connection refused', err);
  if (err.level === 'client-timeout' || code === 'ETIMEDOUT') return new AttemptFailure('timeout', 'timed out', err);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new AttemptFailure('unreachable', 'no route to host', err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new AttemptFailure('unreachable', 'host name not found', err);
  return new AttemptFailure('closed', 'connection closed', err);
}

interface Attempt {
  target: SshTarget;
  port: number;
  privateKey: Buffer;
  policy: HostKeyPolicy;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  signal: AbortSignal | undefined;
}

/** One connection attempt; resolves once authenticated, with the host key the server proved it holds. */
function attempt(a: Attempt): Promise<{ client: Client; hostKey: Buffer }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let offered: Buffer | undefined;
    let refusedKey = false;
    let settled = false;
    const fail = (err: Error & { code?: unknown; level?: unknown }): void => {
      if (settled) return;
      settled = true;
      a.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      const pinned = a.policy.pinned;
      const noPinnedType = pinned.length > 0 && /no matching host key format/.test(err.message);
      if (refusedKey || noPinnedType) {
        reject(
          new HostKeyMismatchError({
            host: a.target.host,
            port: a.port,
            pinned: pinned.map(fingerprint),
            offered: refusedKey && offered !== undefined ? fingerprint(offered) : undefined,
            knownHostsPath: a.target.knownHostsPath,
            source: a.policy.source === 'provider' ? 'provider' : 'known_hosts',
          }),
        );
      } else reject(classify(err));
    };
    const onAbort = (): void => fail(new Error('connect aborted'));
    a.signal?.addEventListener('abort', onAbort, { once: true });
    // After 'ready' this listener stays as a sink: the runner adds its own, and an unhandled 'error' would throw.
    client.on('error', fail);
    client.on('close', () => fail(new Error('connection closed before authentication')));
    client.on('connect', () => client.setNoDelay(true));
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      a.signal?.removeEventListener('abort', onAbort);
      // ready implies the host verifier ran and accepted this key
      resolve({ client, hostKey: offered ?? Buffer.alloc(0) });
    });
    const types = [...new Set(a.policy.pinned.map((k) => keyTypeOf(k)))];
    const algorithms = types.flatMap(algorithmsFor);
    try {
      client.connect({
        host: a.target.host,
        port: a.port,
        username: a.target.user,
        privateKey: a.privateKey,
        readyTimeout: a.readyTimeoutMs,
        keepaliveInterval: a.keepaliveIntervalMs,
        // only ask for the pinned type, or a server with several keys could offer an unpinned one
        ...(algorithms.length > 0 ? { algorithms: { serverHostKey: algorithms } } : {}),
        hostVerifier: (key: Buffer): boolean => {
          offered = Buffer.from(key);
          if (a.policy.pinned.length === 0) return true;
          refusedKey = !a.policy.pinned.some((k) => k.equals(key));
          return !refusedKey;
        },
      });
    } catch (e) {
      // ssh2 throws here only for a private key it cannot use: no retry will change that
      settled = true;
      a.signal?.removeEventListener('abort', onAbort);
      const address = { user: a.target.user, host: a.target.host, port: a.port };
      const why = e instanceof Error ? e.message : String(e);
      reject(new SshConnectError(address, 'auth', { detail: `cannot use the private key ${a.target.privateKeyPath}: ${why}`, privateKeyPath: a.target.privateKeyPath, cause: e }));
    }
  });
}

/** An authenticated connection to the target, or SshConnectError / HostKeyMismatchError. */
export async function connectWithRetry(t: SshTarget, o: ConnectOptions): Promise<Client> {
  const port = t.port ?? 22;
  const address: SshAddress = { user: t.user, host: t.host, port };
  const started = Date.now();
  const deadline = started + o.connectTimeoutMs;
  let privateKey: Buffer;
  try {
    privateKey = await readFile(t.privateKeyPath);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SshConnectError(address, 'auth', { detail: `cannot read the private key ${t.privateKeyPath} (${why})`, privateKeyPath: t.privateKeyPath });
  }
  let last: AttemptFailure | undefined;
  let attempts = 0;
  let authFailures = 0;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    o.signal?.throwIfAborted();
    // Read every time: another runner (or an earlier attempt of this one) may have pinned the key meanwhile.
    const policy = await hostKeyPolicy(t, port);
    if (policy.source === 'first-use' && t.requirePinned) throw new HostKeyUnknownError(t.host, t.knownHostsPath);
    attempts += 1;
    const readyTimeoutMs = Math.max(1, Math.min(o.readyTimeoutMs, deadline - Date.now()));
    try {
      const { client, hostKey } = await attempt({
        target: t,
        port,
        privateKey,
        policy,
        readyTimeoutMs,
        keepaliveIntervalMs: o.keepaliveIntervalMs,
        signal: o.signal,
      });
      if (policy.source !== 'known_hosts') {
        try {
          await pin(t.knownHostsPath, t.host, port, hostKey, { replace: policy.source === 'provider' });
        } catch (e) {
          client.destroy();
          throw e;
        }
      }
      return client;
    } catch (e) {
      if (!(e instanceof AttemptFailure)) throw e;
      // an attempt cut short by the deadline says nothing about the host: keep what the full ones said
      const cutShort = e.reason === 'timeout' && readyTimeoutMs < o.readyTimeoutMs && last !== undefined;
      if (!cutShort) last = e;
      if (e.reason === 'auth' && ++authFailures > AUTH_RETRIES) {
        throw new SshConnectError(address, 'auth', { detail: `refused ${authFailures} times`, privateKeyPath: t.privateKeyPath, cause: e.cause });
      }
      if (!cutShort) o.onWait?.(e.text);
    }
    const wait = Math.min(delay, deadline - Date.now());
    if (wait <= 0) break;
    await sleep(wait, undefined, { signal: o.signal });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lastError = last === undefined ? '' : `; last error: ${last.cause.message}`;
  throw new SshConnectError(address, last?.reason ?? 'timeout', {
    detail: `gave up after ${seconds} s and ${attempts} attempt${attempts === 1 ? '' : 's'}${lastError}`,
    privateKeyPath: t.privateKeyPath,
    cause: last?.cause,
  });
}
