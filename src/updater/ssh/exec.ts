/** One command on an open exec channel: streamed output, bounded tails for messages, stdin, timeout, exit code. */
import { constants } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { RunOptions, RunResult } from '../runner.js';

const TAIL_BYTES = 64 * 1024;
/** After the timeout's SIGTERM, how long the command gets before SIGKILL, and then before we stop waiting. */
const KILL_GRACE_MS = 2000;
/** Exit code of a command that ran out of time, as timeout(1) reports it. */
export const TIMED_OUT = 124;

/** The last TAIL_BYTES of a stream, without keeping the rest. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.chunks.length > 1 && this.size - (this.chunks[0]?.length ?? 0) >= TAIL_BYTES) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).subarray(-TAIL_BYTES).toString('utf8');
  }
}

/** 128 + n for a signal, as a shell reports it. */
function signalExit(name: string | undefined): number {
  const n = name === undefined ? undefined : (constants.signals as Record<string, number | undefined>)[name];
  return 128 + (n ?? 0);
}

/**
 * Takes hold of a stdin stream at once, before waiting for a channel: Node discards what a child process wrote to
 * an unread stdout when that child exits, so a `tar` that finished while we connected would lose its output.
 * `release` lets go of a stream the command did not read to its end (the caller still owns it).
 */
export function holdStdin(stdin: RunOptions['stdin']): { stdin: RunOptions['stdin']; release(): void } {
  if (!(stdin instanceof Readable)) return { stdin, release: () => undefined };
  const held = new PassThrough();
  // reported by the run once it has started; before that there is nobody to tell
  held.on('error', () => undefined);
  stdin.once('error', (e) => held.destroy(e));
  stdin.pipe(held);
  return {
    stdin: held,
    release: () => {
      stdin.unpipe(held);
      held.destroy();
    },
  };
}

interface ChannelInternals {
  outgoing?: { id?: number; state?: string };
  _client?: { _protocol?: { signal?(id: number, name: string): void } };
}

/**
 * Sends a signal to the command's process group. ssh2's `Channel.signal` silently sends nothing once our side is
 * ended (stdin closed, which is nearly always), though sshd accepts the request until the channel closes; so the
 * request goes through ssh2's protocol object, as `signal` itself would send it.
 */
function sendSignal(ch: ClientChannel, name: 'TERM' | 'KILL'): void {
  const c = ch as unknown as ChannelInternals;
  const id = c.outgoing?.id;
  const open = c.outgoing?.state === 'open' || c.outgoing?.state === 'eof';
  const protocol = c._client?._protocol;
  if (id !== undefined && open && typeof protocol?.signal === 'function') protocol.signal(id, name);
  else ch.signal(name);
}

/** Environment variable that marks a timed command's processes, so a second session can find and end them. */
const TAG_VAR = 'RAYLAUNCH_RUN_ID';

/** The command as sent when it has a timeout: every process it starts inherits the tag. */
export function taggedCommand(command: string, tag: string): string {
  return `export ${TAG_VAR}=${tag}\n${command}`;
}

/**
 * The line that signals every process carrying the tag. sshd refuses the SSH `signal` request for sessions without
 * post-auth privilege separation (root logins), so a timeout cannot count on it alone.
 */
export function killTaggedCommand(tag: string, signal: 'TERM' | 'KILL'): string {
  return `for p in /proc/[0-9]*; do grep -qxz '${TAG_VAR}=${tag}' "$p/environ" 2>/dev/null && kill -${signal} "\${p#/proc/}" 2>/dev/null; done; true`;
}

export interface ChannelRun {
  /** The error for a channel that closed without an exit status (the connection dropped, or sshd ended it). */
  closedError(): Error;
  /** Ends the command's processes by other means than the channel (see killTaggedCommand); best effort. */
  kill?(signal: 'TERM' | 'KILL'): void;
}

/** Drives an exec channel until it closes (or, after a timeout, until waiting longer makes no sense). */
export function runOnChannel(ch: ClientChannel, o: RunOptions, how: ChannelRun): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out = new Tail();
    const err = new Tail();
    let exitCode: number | undefined;
    let timedOut = false;
    let failure: Error | undefined;
    const timers: NodeJS.Timeout[] = [];
    const stdin = o.stdin;

    // A throwing callback must not reach ssh2's parser, which would tear down the whole connection.
    const deliver = (cb: ((b: Buffer) => void) | undefined, b: Buffer): void => {
      if (cb === undefined) return;
      try {
        cb(b);
      } catch (e) {
        failure ??= e instanceof Error ? e : new Error(String(e));
        ch.close();
      }
    };
    ch.on('data', (b: Buffer) => {
      out.push(b);
      deliver(o.onStdout, b);
    });
    ch.stderr.on('data', (b: Buffer) => {
      err.push(b);
      deliver(o.onStderr, b);
    });
    ch.on('exit', (code: number | null, signal?: string) => {
      exitCode = code ?? signalExit(signal);
    });
    ch.on('error', (e: Error) => {
      // once the command has exited, a failed write of leftover stdin is not the command's failure
      if (exitCode === undefined) failure ??= e;
    });
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (stdin !== undefined && typeof stdin !== 'string' && !Buffer.isBuffer(stdin)) stdin.unpipe(ch);
      if (failure !== undefined) reject(failure);
      else if (timedOut) resolve({ code: TIMED_OUT, stdout: out.text(), stderr: err.text() });
      else if (exitCode === undefined) reject(how.closedError());
      else resolve({ code: exitCode, stdout: out.text(), stderr: err.text() });
    };
    // ssh2 may have parsed the exit status before these listeners exist (a fast command's whole reply can arrive
    // with the exec confirmation), so 'close', which repeats it, is the one that counts
    ch.on('close', (code?: number | null, signal?: string) => {
      if (exitCode === undefined && code !== undefined) exitCode = code ?? signalExit(signal);
      settle();
    });

    if (o.timeoutMs !== undefined) {
      const signal = (name: 'TERM' | 'KILL'): void => {
        try {
          sendSignal(ch, name);
        } catch {
          // the channel is already closing
        }
        how.kill?.(name);
      };
      timers.push(
        setTimeout(() => {
          timedOut = true;
          signal('TERM');
          timers.push(
            setTimeout(() => {
              signal('KILL');
              ch.close();
              // sshd closes a session only once its command is gone; one that outlives SIGKILL is not waited for
              timers.push(setTimeout(settle, KILL_GRACE_MS));
            }, KILL_GRACE_MS),
          );
        }, o.timeoutMs),
      );
    }

    if (stdin === undefined) ch.end();
    else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) ch.end(stdin);
    else {
      const fail = (e: Error): void => {
        failure ??= e;
        ch.close();
      };
      stdin.once('error', fail);
      if (stdin.errored !== null) fail(stdin.errored);
      else stdin.pipe(ch);
    }
  });
}
