import type { Readable } from 'node:stream';

/** The most a credential line may be: a credential is ~50 characters; anything near this is not one. */
const LIMIT = 4096;

/**
 * The first line of a stream (a node's credential, handed over a pipe by whoever started this process), read
 * without ever touching a file; the stream is then let go so the writer's end can close. Resolves '' when the
 * stream ends empty, and rejects after `timeoutMs` (a parent that never writes must not hold a node forever).
 */
export function readSecretLine(input: Readable, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const done = (e: Error | undefined, line = '') => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.destroy();
      if (e) reject(e);
      else resolve(line.trim());
    };
    const onData = (d: Buffer | string) => {
      got += d.toString();
      const nl = got.indexOf('\n');
      if (nl >= 0) return done(undefined, got.slice(0, nl));
      if (got.length > LIMIT) done(new Error(`the credential on stdin is longer than ${LIMIT} characters`));
    };
    const onEnd = () => done(undefined, got);
    const onError = (e: Error) => done(new Error(`cannot read the credential on stdin: ${e.message}`));
    const timer = setTimeout(() => done(new Error(`no credential arrived on stdin within ${timeoutMs / 1000} s`)), timeoutMs);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
  });
}
