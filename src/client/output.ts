/** Where a runtime shows the user what the cluster sends: task output, warnings. */
export interface OutputSink {
  write(stream: 'stdout' | 'stderr', text: string): void;
}

/** This process's own stdout and stderr (looked up at each write: a worker process redirects them after start). */
export const processOutput: OutputSink = {
  write: (stream, text) => { process[stream].write(text); },
};

/** Puts `prefix` before every line of `text`; the last line ends with a newline whether `text`'s did or not. */
export function prefixLines(prefix: string, text: string): string {
  const lines = text.split('\n');
  const last = lines.pop();
  const body = lines.map((l) => `${prefix}${l}\n`).join('');
  return last ? `${body}${prefix}${last}\n` : body;
}
