/**
 * Polls `probe` until it returns a value, every 100 ms, for at most `timeoutMs`. A probe that throws is polled
 * again; its last error goes into the timeout's message, so a failure says what was last seen.
 */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `; last: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
