/** Runs `f` over `items`, at most `limit` at a time; resolves when all are done, rejects with the first failure. */
export async function bounded<T>(items: readonly T[], limit: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const t = items[next++] as T;
      await f(t);
    }
  });
  await Promise.all(lanes);
}
