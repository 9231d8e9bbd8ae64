/**
 * CommandRunner over one ssh2 connection per node: opened lazily, reopened once when it dropped, host key pinned,
 * and at most `maxChannels` (8) sessions at a time, below sshd's MaxSessions (10).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientChannel, PseudoTtyOptions, SFTPWrapper } from 'ssh2';
import { RemoteFileError, SshConnectError, type SshAddress } from '../errors.js';
import type { CommandRunner, Forward, RunOptions, RunResult, SshTarget } from '../runner.js';
import { connectWithRetry } from './connect.js';
import { holdStdin, killTaggedCommand, runOnChannel, taggedCommand } from './exec.js';
import { listenForward } from './forward.js';
import { writeFileSftp } from './sftp.js';

export interface SshRunnerOptions {
  /** Overall deadline for connecting (all attempts); default 120 s, long enough for a node to boot. */
  connectTimeoutMs?: number;
  /** Called after each failed connect attempt with a human reason ("connection refused", "timed out", …). */
  onWait?(reason: string): void;
  /** Concurrent sessions (commands, SFTP) on the connection; default 8. */
  maxChannels?: number;
  /** Per connect attempt; default 5 s. */
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}

const DEFAULTS = { connectTimeoutMs: 120_000, maxChannels: 8, readyTimeoutMs: 5000, keepaliveIntervalMs: 5000 };
const CLOSE_WAIT_MS = 2000;
const SHOWN_COMMAND_CHARS = 80;
/** A refused session is retried after 25, 50, … 800 ms (1.6 s in all). */
const SESSION_RETRIES = 6;
const SESSION_RETRY_MS = 25;

/** A counting semaphore; `acquire` resolves with the matching release. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) this.active += 1;
    else await new Promise<void>((r) => this.waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // hand the slot straight to the next waiter, so a newcomer cannot take it in between
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active -= 1;
    };
  }
}

/** A channel-open failure that means the connection itself is gone (ssh2 noticed before or while opening). */
function connectionGone(e: unknown): boolean {
  return e instanceof Error && /Not connected|No response from server|No connection/i.test(e.message);
}

/** A terminal the size of ours when we have one (interactive `exec`), else ssh2's 80×24. */
function ptyOptions(): PseudoTtyOptions {
  const out = process.stdout;
  const term = process.env.TERM ?? 'xterm-256color';
  return out.isTTY ? { term, rows: out.rows, cols: out.columns } : { term };
}

export class SshRunner implements CommandRunner {
  readonly host: string;
  private readonly address: SshAddress;
  private readonly channels: Semaphore;
  private readonly killers = new Semaphore(1);
  private readonly forwards = new Set<Forward>();
  private readonly abort = new AbortController();
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;

  constructor(
    readonly target: SshTarget,
    private readonly o: SshRunnerOptions = {},
  ) {
    this.host = target.host;
    this.address = { user: target.user, host: target.host, port: target.port ?? 22 };
    this.channels = new Semaphore(o.maxChannels ?? DEFAULTS.maxChannels);
  }

  private closedError(detail: string): SshConnectError {
    return new SshConnectError(this.address, 'closed', { detail });
  }

  /** The live connection, opened (with retries) when there is none. */
  private connection(): Promise<Client> {
    if (this.abort.signal.aborted) return Promise.reject(this.closedError('the runner was closed'));
    if (this.client !== undefined) return Promise.resolve(this.client);
    this.connecting ??= connectWithRetry(this.target, {
      connectTimeoutMs: this.o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      readyTimeoutMs: this.o.readyTimeoutMs ?? DEFAULTS.readyTimeoutMs,
      keepaliveIntervalMs: this.o.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs,
      onWait: this.o.onWait,
      signal: this.abort.signal,
    })
      .then(
        (c) => {
          if (this.abort.signal.aborted) {
            c.end();
            throw this.closedError('the runner was closed');
          }
          this.client = c;
          c.on('close', () => {
            if (this.client === c) this.client = undefined;
          });
          // a lost connection surfaces as 'close' (and on its channels); the error itself has nowhere to go
          c.on('error', () => undefined);
          return c;
        },
        (e: unknown) => {
          throw this.abort.signal.aborted ? this.closedError('the runner was closed') : e;
        },
      )
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  private drop(c: Client): void {
    if (this.client === c) this.client = undefined;
    c.destroy();
  }

  /**
   * Opens a channel; when the connection turns out to be dead (dropped since we last used it), reconnects once and
   * tries again. Nothing ran remotely when a channel did not open, so a retry cannot run a command twice.
   */
  private async openChannel<T>(
    open: (c: Client, cb: (err: Error | undefined, ch: T) => void) => void,
    kind: 'session' | 'forward',
  ): Promise<T> {
    let reconnected = false;
    for (let refusals = 0; ; ) {
      const c = await this.connection();
      try {
        return await new Promise<T>((resolve, reject) => {
          try {
            open(c, (err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      } catch (e) {
        if (this.client !== c || connectionGone(e)) {
          if (reconnected) throw this.closedError(`connection lost (${(e as Error).message})`);
          reconnected = true;
          this.drop(c);
          continue;
        }
        // sshd counts a session until it has reaped the command, a moment after its channel closed, so MaxSessions
        // can refuse a new one briefly even below our own limit
        if (kind === 'session' && /open failed/.test((e as Error).message) && refusals < SESSION_RETRIES) {
          await sleep(SESSION_RETRY_MS * 2 ** refusals++);
          continue;
        }
        throw e;
      }
    }
  }

  async run(command: string, o: RunOptions = {}): Promise<RunResult> {
    const input = holdStdin(o.stdin);
    const tag = o.timeoutMs === undefined ? undefined : randomBytes(8).toString('hex');
    const sent = tag === undefined ? command : taggedCommand(command, tag);
    const release = await this.channels.acquire();
    try {
      const ch = await this.openChannel<ClientChannel>((c, cb) => c.exec(sent, o.pty ? { pty: ptyOptions() } : {}, cb), 'session');
      const shown = command.length > SHOWN_COMMAND_CHARS ? `${command.slice(0, SHOWN_COMMAND_CHARS)}…` : command;
      return await runOnChannel(ch, { ...o, stdin: input.stdin }, {
        closedError: () => this.closedError(`while running: ${shown}`),
        ...(tag === undefined ? {} : { kill: (signal: 'TERM' | 'KILL') => this.killTagged(tag, signal) }),
      });
    } finally {
      input.release();
      release();
    }
  }

  /**
   * Signals a timed-out command's processes from a session of its own. Outside the channel limit (the timed-out
   * commands may hold every slot), one at a time so at most one session beyond it, and never reconnecting.
   */
  private killTagged(tag: string, signal: 'TERM' | 'KILL'): void {
    const c = this.client;
    if (c === undefined) return;
    void this.killers.acquire().then((release) => {
      try {
        c.exec(killTaggedCommand(tag, signal), (err, ch) => {
          if (err) return release();
          ch.on('close', release);
          ch.on('error', () => undefined);
          ch.resume();
          ch.stderr.resume();
          ch.end();
        });
      } catch {
        release();
      }
    });
  }

  async writeFile(remotePath: string, content: string | Uint8Array, mode: number): Promise<void> {
    const release = await this.channels.acquire();
    try {
      const sftp = await this.openChannel<SFTPWrapper>((c, cb) => c.sftp(cb), 'session');
      try {
        await writeFileSftp(sftp, remotePath, content, mode);
      } catch (e) {
        throw new RemoteFileError(`cannot write ${remotePath} on ${this.host}: ${(e as Error).message}`, {
          hint: `check that ${this.target.user} can write there and that the node's disk is not full`,
          cause: e,
        });
      } finally {
        sftp.end();
      }
    } finally {
      release();
    }
  }

  async forward(host: string, port: number): Promise<Forward> {
    await this.connection(); // fail here, not on the first local connection
    const fwd = await listenForward(
      () => this.openChannel<ClientChannel>((c, cb) => c.forwardOut('127.0.0.1', 0, host, port, cb), 'forward'),
      () => this.forwards.delete(fwd),
    );
    this.forwards.add(fwd);
    return fwd;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all([...this.forwards].map((f) => f.close()));
    const c = this.client;
    this.client = undefined;
    if (c === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        c.destroy();
        resolve();
      }, CLOSE_WAIT_MS);
      c.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      c.end();
    });
  }
}

/** One runner per `user@host:port`, so every caller shares its node's connection; `close` ends them all. */
export class SshPool {
  private readonly runners = new Map<string, SshRunner>();

  constructor(private readonly o: SshRunnerOptions = {}) {}

  runner(target: SshTarget): SshRunner {
    const key = `${target.user}@${target.host}:${target.port ?? 22}`;
    let r = this.runners.get(key);
    if (r === undefined) {
      r = new SshRunner(target, this.o);
      this.runners.set(key, r);
    }
    return r;
  }

  /** Closes and forgets the runner of one target (a node that was terminated: its connection is of no more use). */
  async drop(target: SshTarget): Promise<void> {
    const key = `${target.user}@${target.host}:${target.port ?? 22}`;
    const r = this.runners.get(key);
    if (r === undefined) return;
    this.runners.delete(key);
    await r.close();
  }

  async close(): Promise<void> {
    const all = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(all.map((r) => r.close()));
  }
}
