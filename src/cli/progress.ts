/**
 * `up`'s progress: one live line per node with its current step on a terminal, or one plain line per change
 * (not a TTY, or --log-style plain) that reads well in CI logs.
 */
import { printable, printableText } from './printable.js';

export type LogStyle = 'auto' | 'plain' | 'pretty';

export interface NodeProgress {
  node(id: string, status: string, detail: string): void;
  /** A line that is not about one node. */
  line(text: string): void;
  /** Stops redrawing; what was drawn stays. */
  done(): void;
}

export function nodeProgress(out: NodeJS.WriteStream, style: LogStyle): NodeProgress {
  const p = style === 'pretty' || (style === 'auto' && out.isTTY) ? new LiveProgress(out) : plainProgress(out);
  // Node ids, states and details come from the head too: printed as text, never as terminal controls.
  return {
    node: (id, status, detail) => p.node(printable(id), printable(status), printable(detail)),
    line: (text) => p.line(printableText(text)),
    done: () => p.done(),
  };
}

function plainProgress(out: NodeJS.WritableStream): NodeProgress {
  const last = new Map<string, string>();
  return {
    node(id, status, detail) {
      const text = `${id}: ${status}${detail ? ` (${detail})` : ''}`;
      if (last.get(id) === text) return;
      last.set(id, text);
      out.write(`${text}\n`);
    },
    line: (text) => out.write(`${text}\n`),
    done: () => undefined,
  };
}

/** Redraws the block of node lines in place (cursor up, clear line); other lines print above it. */
class LiveProgress implements NodeProgress {
  private readonly rows = new Map<string, string>();
  private drawn = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  node(id: string, status: string, detail: string): void {
    const width = Math.max(40, (this.out.columns || 100) - 1);
    this.rows.set(id, `${id.padEnd(16)} ${status.padEnd(16)} ${detail}`.slice(0, width));
    this.redraw();
  }

  line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    this.drawn = 0;
    this.redraw();
  }

  done(): void {
    this.drawn = 0;
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
  }

  private redraw(): void {
    this.clear();
    const lines = [...this.rows.values()];
    this.out.write(lines.map((l) => `${l}\n`).join(''));
    this.drawn = lines.length;
  }
}
