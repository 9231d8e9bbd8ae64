export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns a value, waiting `every` ms between calls (or `every(attempt)`, for a growing
 * delay), for at most `timeoutMs`. Resolves to that value, or to undefined once the time is up: the caller says
 * what it waited for, with what it last saw. A probe that throws ends the wait with its error.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, o: { timeoutMs: number; every: number | ((attempt: number) => number) }): Promise<T | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left < 0) return undefined;
    await sleep(Math.min(typeof o.every === 'number' ? o.every : o.every(attempt), left));
  }
}
