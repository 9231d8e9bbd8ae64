/**
 * A job's entrypoint as the Jobs API carries it: the uploaded job's package and its arguments, as one shell-like
 * line (Ray's entrypoint is a shell command). Pure: the client writes it, the head reads it back.
 */

/** An uploaded package's URI: `pkg://` and its content's SHA-256 in hex. */
export const PACKAGE_URI = /^pkg:\/\/([0-9a-f]{64})$/;

export const packageUri = (hash: string): string => `pkg://${hash}`;

/** The package's hash, or undefined when `uri` is not a package URI. */
export function packageHash(uri: string): string | undefined {
  return PACKAGE_URI.exec(uri)?.[1];
}

const PLAIN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One word as the entrypoint carries it: as it is when nothing in it is special, else in single quotes. */
export function quoteWord(word: string): string {
  if (PLAIN.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function joinWords(words: readonly string[]): string {
  return words.map(quoteWord).join(' ');
}

/** The entrypoint cannot be read as words; `at` is the character where reading stopped. */
export class EntrypointSyntaxError extends Error {
  override readonly name = 'EntrypointSyntaxError';
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

/**
 * The words of a line, read as a POSIX shell reads them without expanding anything: blanks separate words,
 * single quotes keep everything, double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, a backslash
 * outside quotes keeps the next character.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const push = (s: string) => { word = (word ?? '') + s; };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === '\'') {
      const end = line.indexOf('\'', i + 1);
      if (end < 0) throw new EntrypointSyntaxError(`the single quote at character ${i + 1} is not closed`, i);
      push(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1] as string)) j++;
        s += line[j];
      }
      if (j >= line.length) throw new EntrypointSyntaxError(`the double quote at character ${i + 1} is not closed`, i);
      push(s);
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new EntrypointSyntaxError('the line ends in a backslash', i);
      push(line[i + 1] as string);
      i += 2;
    } else {
      push(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
