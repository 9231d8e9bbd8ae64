/**
 * What a driver does when its connection to the head drops without its closing it (the head restarted, the
 * network failed): the pure parts, with time and randomness passed in. The runtime (runtime.ts) does the I/O.
 */
import type { Message } from '../protocol/messages.js';
import { OutageBufferFullError } from './errors.js';

/** How long a driver waits for a head unless told (Ray's GCS reconnect timeout); the head's welcome says its own. */
export const DEFAULT_RECONNECT_TIMEOUT_S = 60;

/** The environment variable that sets it for a driver started by hand (the head's welcome, when it comes, wins). */
export const RECONNECT_TIMEOUT_ENV = 'RAYLAUNCH_HEAD_RECONNECT_TIMEOUT_S';

/** The first wait before trying again, and the most any one wait grows to. */
export const BACKOFF = { baseMs: 100, maxMs: 5000 } as const;

/**
 * The wait before reconnect attempt `attempt` (0 first): exponential from BACKOFF.baseMs, capped at
 * BACKOFF.maxMs, with "equal jitter" (half of it fixed, half random) so the drivers of one cluster, who all
 * lost the same head at the same moment, do not all come back in the same millisecond. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** Seconds to wait for a head: the welcome's, else the environment's (a positive number), else the default. */
export function reconnectTimeoutS(fromWelcome: number | undefined, fromEnv: string | undefined): number {
  if (fromWelcome !== undefined && fromWelcome > 0) return fromWelcome;
  const env = Number(fromEnv);
  return fromEnv !== undefined && fromEnv !== '' && Number.isFinite(env) && env > 0 ? env : DEFAULT_RECONNECT_TIMEOUT_S;
}

/**
 * The most messages (calls, puts, gets' requests) a driver keeps while it has no head. Each holds its encoded
 * arguments or value, so the bound also bounds the memory an outage takes: past it, the call throws
 * OutageBufferFullError instead of growing without end.
 */
export const OUTAGE_BUFFER_LIMIT = 10_000;

/** What a driver made while it had no head, in order, for when one is back. */
export class OutageBuffer {
  private readonly items: Message[] = [];

  constructor(private readonly limit = OUTAGE_BUFFER_LIMIT, private readonly since = 0) {}

  /** A call made during the outage; throws OutageBufferFullError past the limit (the call is not made). */
  push(m: Message): void {
    if (this.items.length >= this.limit) {
      throw new OutageBufferFullError(`the driver has no connection to the head (lost ${Math.max(0, Math.round((Date.now() - this.since) / 1000))} s ago) and already holds ${this.limit} calls for when it is back: this call is not made`, { limit: this.limit });
    }
    this.items.push(m);
  }

  /** Messages the driver had accepted before it knew the connection was gone: kept whatever the limit. */
  keep(ms: readonly Message[]): void {
    this.items.push(...ms);
  }

  get size(): number {
    return this.items.length;
  }

  /** The ids the buffered messages make: they never reached a head, and go out as they are. */
  made(): Set<string> {
    return new Set(this.items.map(madeId).filter((id): id is string => id !== undefined));
  }

  drain(): Message[] {
    return this.items.splice(0);
  }
}

/** The object a submission makes (a task's or call's result, a put), by which the head knows it. */
export function madeId(m: Message): string | undefined {
  switch (m.type) {
    case 'submit': return m.task.returnId;
    case 'actor.call': return m.call.returnId;
    case 'put': return m.id;
    default: return undefined;
  }
}

/** A submission the driver made that has no result here yet (or a put, which a restarted head may have lost). */
export interface Unfinished {
  message: Message;
  /** Whether running it again is allowed (API.md): a task with maxRetries > 0, a put. An actor call is not. */
  again: boolean;
}

/**
 * After a reconnect, from what the head says it has: what goes out again (in the order first made, with the same
 * ids, which the head drops if it has them after all) and what is lost (it may have run, and may not run twice).
 */
export function resumePlan(unfinished: ReadonlyMap<string, Unfinished>, known: ReadonlySet<string>, buffered: ReadonlySet<string>): { again: Message[]; lost: string[] } {
  const again: Message[] = [];
  const lost: string[] = [];
  for (const [id, u] of unfinished) {
    if (known.has(id) || buffered.has(id)) continue;
    if (u.again) again.push(u.message);
    else lost.push(id);
  }
  return { again, lost };
}
