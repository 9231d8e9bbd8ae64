/** Edit distance counting an adjacent transposition as one edit ("haed" → "head" is 1). Small inputs only. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}

/** Words longer than this are compared only for case and separators, or as truncations: no edit distance. */
const MAX_EDITED = 64;

/**
 * The candidate a typo most likely meant, or undefined when none is close. Case and `-`/`_` differences count
 * as near-misses, since YAML keys are often written in another case convention; so does a truncated name.
 * Linear in the candidates: an edit distance is computed only where it could be small enough to count.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  searches += 1;
  const norm = (s: string) => s.toLowerCase().replace(/[-_.\s]/g, '');
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  const a = norm(word);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const b = norm(c);
    const [short, long] = a.length <= b.length ? [a, b] : [b, a];
    // A truncated name ("ray.head" for "ray.head.default") is as likely a slip as a typo.
    const prefix = short.length >= 3 && short.length * 2 >= long.length && long.startsWith(short);
    // Two words' edit distance is at least the difference of their lengths.
    const editable = Math.abs(word.length - c.length) <= limit && word.length <= MAX_EDITED && c.length <= MAX_EDITED;
    const score = a === b ? 0 : prefix ? 1 : editable ? editDistance(word.toLowerCase(), c.toLowerCase()) : Infinity;
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return bestScore <= limit ? best : undefined;
}

let searches = 0;

/** How many closest() searches this process has made: tests count them to check that work stays bounded. */
export const suggestionSearches = (): number => searches;
