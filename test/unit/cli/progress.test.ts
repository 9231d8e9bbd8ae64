import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { type LogStyle, nodeProgress } from '../../../src/cli/progress.js';

const ESC = '\x1b';
/** Cursor up N lines, then clear to the end of the screen (built from a string: lint keeps control characters out of regex literals). */
const REDRAW = new RegExp(`${ESC}\\[(\\d+)A${ESC}\\[0J`, 'g');
const TOKEN = new RegExp(`${ESC}\\[\\d*[A-Za-z]|\\n|[^${ESC}\\n]+`, 'g');
const hasEscape = (text: string) => text.includes(ESC);

/** A stand-in for process.stderr: collects what is written, with a settable isTTY and width. */
function fakeStream(o: { isTTY?: boolean; columns?: number } = {}) {
  const writes: string[] = [];
  const stream = {
    isTTY: o.isTTY,
    columns: o.columns,
    write(s: string) {
      writes.push(s);
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, writes, text: () => writes.join('') };
}

/**
 * What a terminal shows after `text`: enough of one to follow the live style (text, newlines, cursor up, clear to
 * the end of the screen), so a test can say what the user ends up seeing rather than which bytes were sent.
 */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  for (const token of text.match(TOKEN) ?? []) {
    if (token === '\n') {
      row += 1;
      col = 0;
      if (lines.length <= row) lines.push('');
    } else if (token.startsWith('\x1b[')) {
      const n = Number(token.slice(2, -1) || '1');
      if (token.endsWith('A')) row = Math.max(0, row - n);
      else if (token === '\x1b[0J' || token === '\x1b[J') {
        lines[row] = (lines[row] ?? '').slice(0, col);
        lines.length = row + 1;
      } else throw new Error(`the fake terminal does not know ${JSON.stringify(token)}`);
    } else {
      const line = (lines[row] ?? '').padEnd(col);
      lines[row] = line.slice(0, col) + token + line.slice(col + token.length);
      col += token.length;
    }
  }
  // the cursor sits on an empty line after the last newline
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The words of a live row (id, status, detail), without the padding between them. */
const words = (row: string) => row.trim().split(/\s+/);

describe('up\'s node progress (nodeProgress)', () => {
  describe('plain style', () => {
    it('prints one line per change of a node, with its detail in parentheses', () => {
      const { stream, text } = fakeStream();
      const p = nodeProgress(stream, 'plain');
      p.node('head', 'launching', '');
      p.node('head', 'setting-up', 'npm install');
      p.node('w1', 'launching', '');
      p.done();
      assert.equal(text(), 'head: launching\nhead: setting-up (npm install)\nw1: launching\n');
    });

    it('prints nothing for a repeated identical status of the same node', () => {
      const { stream, writes } = fakeStream();
      const p = nodeProgress(stream, 'plain');
      p.node('head', 'launching', 'a');
      p.node('head', 'launching', 'a');
      p.node('head', 'launching', 'a');
      assert.deepEqual(writes, ['head: launching (a)\n']);
    });

    it('prints a status again once it changed in between, and the same status for another node', () => {
      const { stream, text } = fakeStream();
      const p = nodeProgress(stream, 'plain');
      p.node('head', 'launching', '');
      p.node('head', 'ready', '');
      p.node('head', 'launching', '');
      p.node('w1', 'launching', '');
      assert.equal(text(), 'head: launching\nhead: ready\nhead: launching\nw1: launching\n');
    });

    it('line() prints the text on a line of its own, between node lines', () => {
      const { stream, text } = fakeStream({ isTTY: false });
      const p = nodeProgress(stream, 'plain');
      p.node('head', 'launching', '');
      p.line('cluster demo is up');
      assert.equal(text(), 'head: launching\ncluster demo is up\n');
    });

    it('writes no escape sequences, even on a terminal', () => {
      const { stream, text } = fakeStream({ isTTY: true, columns: 80 });
      const p = nodeProgress(stream, 'plain');
      p.node('head', 'launching', '');
      p.node('head', 'ready', '');
      p.line('done');
      assert.equal(hasEscape(text()), false, JSON.stringify(text()));
    });
  });

  describe('which style auto picks', () => {
    // a second status of the same node: a plain line of its own, or a redraw of the live block
    const CASES: [LogStyle, boolean | undefined, 'live' | 'plain'][] = [
      ['auto', true, 'live'],
      ['auto', false, 'plain'],
      ['auto', undefined, 'plain'],
      ['pretty', false, 'live'],
      ['pretty', true, 'live'],
      ['plain', true, 'plain'],
    ];
    for (const [style, isTTY, mode] of CASES) {
      it(`${style} on ${isTTY ? 'a TTY' : `a stream that is not a TTY (isTTY ${String(isTTY)})`} is ${mode}`, () => {
        const { stream, text } = fakeStream({ isTTY, columns: 80 });
        const p = nodeProgress(stream, style);
        p.node('head', 'launching', '');
        p.node('head', 'ready', '');
        if (mode === 'plain') assert.equal(text(), 'head: launching\nhead: ready\n');
        else assert.ok(text().match(REDRAW), JSON.stringify(text()));
      });
    }
  });

  describe('live style', () => {
    it('redraws the block of node lines in place: cursor up over the block, clear, then the block again', () => {
      const { stream, writes, text } = fakeStream({ isTTY: true, columns: 100 });
      const p = nodeProgress(stream, 'auto');
      p.node('head', 'launching', '');
      assert.equal(hasEscape(text()), false, 'nothing is drawn yet, so nothing is cleared');
      p.node('w1', 'launching', '');
      p.node('head', 'ready', 'up 2s');
      // the first redraw goes up over the one line drawn, the second over both
      const ups = writes.join('').match(REDRAW);
      assert.deepEqual(ups, ['\x1b[1A\x1b[0J', '\x1b[2A\x1b[0J']);
      const shown = screen(text());
      assert.deepEqual(shown.map(words), [['head', 'ready', 'up', '2s'], ['w1', 'launching']], JSON.stringify(shown));
    });

    it('keeps each node on its own row, in the order the nodes first appeared', () => {
      const { stream, text } = fakeStream({ isTTY: true, columns: 100 });
      const p = nodeProgress(stream, 'pretty');
      for (const [id, status] of [['head', 'launching'], ['w1', 'launching'], ['w2', 'launching'], ['w1', 'ready'], ['head', 'ready'], ['w1', 'ready']]) {
        p.node(id as string, status as string, '');
      }
      assert.deepEqual(screen(text()).map(words), [['head', 'ready'], ['w1', 'ready'], ['w2', 'launching']]);
    });

    it('prints line() text above the block, which is drawn again below it', () => {
      const { stream, text } = fakeStream({ isTTY: true, columns: 100 });
      const p = nodeProgress(stream, 'auto');
      p.node('head', 'launching', '');
      p.node('w1', 'launching', '');
      p.line('head 10.0.0.1 is reachable');
      assert.ok(text().includes('\x1b[2A\x1b[0Jhead 10.0.0.1 is reachable\n'), JSON.stringify(text()));
      p.node('w1', 'ready', '');
      p.line('cluster demo is up');
      const shown = screen(text());
      assert.deepEqual(shown.slice(0, 2), ['head 10.0.0.1 is reachable', 'cluster demo is up']);
      assert.deepEqual(shown.slice(2).map(words), [['head', 'launching'], ['w1', 'ready']]);
    });

    it('done() stops redrawing: what was drawn stays, and later output starts below it', () => {
      const { stream, writes, text } = fakeStream({ isTTY: true, columns: 100 });
      const p = nodeProgress(stream, 'auto');
      p.node('head', 'ready', '');
      p.done();
      const before = writes.length;
      p.node('head', 'stopping', '');
      assert.equal(hasEscape(writes.slice(before).join('')), false, 'no cursor-up over the block drawn before done()');
      assert.deepEqual(screen(text()).map(words), [['head', 'ready'], ['head', 'stopping']]);
    });

    const WIDTHS: [number | undefined, number, string][] = [
      [80, 79, 'one column short of an 80-column terminal'],
      [132, 131, 'one column short of a 132-column terminal'],
      [undefined, 99, 'as for 100 columns when the width is unknown'],
      [20, 40, 'never under 40 columns, even on a narrower terminal'],
    ];
    for (const [columns, width, why] of WIDTHS) {
      it(`cuts long node lines to the terminal width: ${why}`, () => {
        const { stream, text } = fakeStream({ isTTY: true, columns });
        const p = nodeProgress(stream, 'pretty');
        p.node('head', 'setting-up', `running ${'x'.repeat(300)}`);
        p.node('w1', 'launching', '');
        const shown = screen(text());
        assert.equal(shown.length, 2, JSON.stringify(shown));
        assert.equal(shown[0]?.length, width);
        assert.ok(shown[0]?.startsWith('head'), shown[0]);
        assert.ok((shown[1]?.length ?? 0) <= width);
      });
    }

    it('does not cut line() text', () => {
      const { stream, text } = fakeStream({ isTTY: true, columns: 80 });
      const p = nodeProgress(stream, 'pretty');
      const long = `warning: ${'y'.repeat(200)}`;
      p.line(long);
      assert.equal(screen(text())[0], long);
    });
  });
});
