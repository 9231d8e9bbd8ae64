import { closest } from '../common/suggest.js';

function meantBy(words: readonly string[], ids: readonly string[]): string | undefined {
  const typed = words.join(' ');
  // Plural topics are a common slip (`jobs list`): the singular with the same subcommand, when it exists.
  const singular = [words[0]?.replace(/s$/, ''), ...words.slice(1)].join(' ');
  if (singular !== typed && ids.includes(singular)) return singular;
  // A subcommand typed alone (`logs`) is one of a topic's.
  const sub = words.length === 1 ? ids.filter((id) => id.split(' ').at(-1) === words[0]) : [];
  if (sub.length === 1) return sub[0];
  // Only among commands of as many words: `job lst` means `job list`, not the topic `job`.
  return closest(typed, ids.filter((id) => id.split(' ').length === words.length));
}

/**
 * The command a mistyped one most likely meant, in the words a user types ("job logs", never oclif's "job:logs"),
 * and the words after it (its arguments: oclif cannot tell them from the command's name), or undefined. `words`:
 * what was typed before any flag; `ids`: every command and topic, space-separated.
 */
export function suggestCommand(words: readonly string[], ids: readonly string[]): { meant: string; rest: string[] } | undefined {
  for (let n = words.length; n > 0; n--) {
    const meant = meantBy(words.slice(0, n), ids);
    if (meant !== undefined) return { meant, rest: words.slice(n) };
  }
  return undefined;
}
