/** When the supervisor restarts its child, and after how long: pure, so the table of cases is testable. */

/** How a child ended: `code` null with a signal when killed; both null when it could not be started at all. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What the supervisor remembers of the child that just ended. */
export interface RestartHistory {
  /** When that child was started (ms). */
  startedAt: number;
  /** The delay waited before starting it; null for the first start. */
  lastDelayMs: number | null;
}

export type RestartDecision = { restart: false } | { restart: true; delayMs: number };

export const FIRST_DELAY_MS = 1000;
export const MAX_DELAY_MS = 30_000;
/**
 * A child that ran this long was healthy: its crash is restarted at once and starts the backoff over. Short (as
 * systemd's start-limit interval) because the head service's restart is what its agents and drivers wait for:
 * every second before it comes back is a second of outage, while a child crashing sooner than this is in a
 * crash loop and backs off.
 */
export const HEALTHY_UPTIME_MS = 10_000;

/**
 * Exit code 0 is deliberate (the agent leaves when its head is gone for good, the head after SIGTERM) and ends
 * the supervisor too; anything else is a crash. A crash after a healthy run is restarted at once; a child that
 * dies soon after it started (its first start, or a restart) is retried with doubling delays from
 * FIRST_DELAY_MS, so a node that cannot start does not spin. `evenClean`: a clean exit is retried the same way
 * (the head node's agent, which leaves when the head is gone too long, while the head it serves is kept
 * running beside it).
 */
export function restartDecision(exit: ChildExit, history: RestartHistory, now: number, o: { evenClean?: boolean } = {}): RestartDecision {
  if (exit.code === 0 && exit.signal === null && !o.evenClean) return { restart: false };
  if (now - history.startedAt >= HEALTHY_UPTIME_MS) return { restart: true, delayMs: 0 };
  if (history.lastDelayMs === null) return { restart: true, delayMs: FIRST_DELAY_MS };
  return { restart: true, delayMs: Math.min(Math.max(history.lastDelayMs * 2, FIRST_DELAY_MS), MAX_DELAY_MS) };
}

/** "SIGKILL", "code 3", or "not started", for the supervisor's log. */
export function describeExit(exit: ChildExit): string {
  if (exit.signal) return exit.signal;
  return exit.code === null ? 'not started' : `code ${exit.code}`;
}
