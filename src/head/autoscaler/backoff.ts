/**
 * Capacity backoff per node type, pure: after a CapacityError a type is not launched again for a while, longer
 * with each failure in a row and four times as long for a quota (which rarely clears by itself).
 */

export type Backoff = Readonly<Record<string, { until: number; failures: number }>>;

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

/** The backoff after one more capacity failure of `nodeType`, and how long it waits. */
export function backOff(b: Backoff, nodeType: string, reason: 'capacity' | 'quota', now: number): { backoff: Backoff; waitMs: number } {
  const failures = (b[nodeType]?.failures ?? 0) + 1;
  const waitMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1) * (reason === 'quota' ? 4 : 1));
  return { backoff: { ...b, [nodeType]: { until: now + waitMs, failures } }, waitMs };
}

/** A launch of the type went through: its failures are forgotten. */
export function launchedOk(b: Backoff, nodeType: string): Backoff {
  if (!(nodeType in b)) return b;
  const { [nodeType]: _gone, ...rest } = b;
  return rest;
}

/** Types still backed off at `now`. */
export function backedOff(b: Backoff, now: number): string[] {
  return Object.entries(b).filter(([, x]) => x.until > now).map(([t]) => t);
}
