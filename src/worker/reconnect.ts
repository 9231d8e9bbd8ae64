/**
 * When an agent that lost its head tries again: exponential backoff with jitter, bounded by the time it may wait
 * for its head at all (raylaunch.head_reconnect_timeout_s). Jitter spreads the agents of a large cluster so a
 * restarted head is not met by all of them in the same instant; the first tries come quickly, since a head
 * restarted by its supervisor is usually back within a second or two. Pure: time and randomness are passed in.
 */
export interface ReconnectPolicy {
  /** The ceiling of the first wait. */
  firstMs: number;
  /** The ceiling of any wait. */
  maxMs: number;
  /** How the ceiling grows per failed try. */
  factor: number;
}

/**
 * The ceiling stays low because what an agent waits after its head is back is outage added to the restart
 * itself (the head serves again within a second of a kill -9; a 2 s ceiling had the last agents back 1.5 s after
 * it): a try on a head still away is a refused connection, cheap for both sides, and jitter still spreads a
 * large cluster's agents over the last half of the ceiling.
 */
export const RECONNECT: ReconnectPolicy = { firstMs: 100, maxMs: 500, factor: 2 };

/**
 * The wait before try `attempt` + 1 (attempt 0: after the first failure), given `random` in [0, 1): "equal
 * jitter", half the ceiling fixed and half random, so waits grow and never collapse to zero.
 */
export function backoffDelay(attempt: number, random: number, p: ReconnectPolicy = RECONNECT): number {
  const ceiling = Math.min(p.maxMs, p.firstMs * p.factor ** Math.max(0, attempt));
  return ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1);
}

/** The next step of the loop: wait this long and try again, or give up (the head has been gone too long). */
export type ReconnectStep = { waitMs: number } | { giveUp: true };

/** `since`: when the head was lost; `deadlineMs`: how long the agent waits for it (head_reconnect_timeout_s). */
export function nextReconnect(o: { attempt: number; since: number; now: number; deadlineMs: number; random: number; policy?: ReconnectPolicy }): ReconnectStep {
  const left = o.since + o.deadlineMs - o.now;
  if (left <= 0) return { giveUp: true };
  return { waitMs: Math.min(backoffDelay(o.attempt, o.random, o.policy), left) };
}
