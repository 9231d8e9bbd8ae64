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
/** A child that ran this long was healthy: its crash starts the backoff over. */
export const HEALTHY_UPTIME_MS = 60_000;

/**
 * Exit code 0 is deliberate (the agent leaves when its head is gone for good, the head after SIGTERM) and ends
 * the supervisor too; anything else is a crash, retried with doubling delays so a node that cannot start does
 * not spin. `evenClean`: a clean exit is retried the same way (the head node's agent, which leaves when the head
 * is gone too long, while the head it serves is kept running beside it).
 */
export function restartDecision(exit: ChildExit, history: RestartHistory, now: number, o: { evenClean?: boolean } = {}): RestartDecision {
  if (exit.code === 0 && exit.signal === null && !o.evenClean) return { restart: false };
  const healthy = now - history.startedAt >= HEALTHY_UPTIME_MS;
  if (history.lastDelayMs === null || healthy) return { restart: true, delayMs: FIRST_DELAY_MS };
  return { restart: true, delayMs: Math.min(history.lastDelayMs * 2, MAX_DELAY_MS) };
}

/** "SIGKILL", "code 3", or "not started", for the supervisor's log. */
export function describeExit(exit: ChildExit): string {
  if (exit.signal) return exit.signal;
  return exit.code === null ? 'not started' : `code ${exit.code}`;
}
