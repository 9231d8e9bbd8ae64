/**
 * What the head says (node ids, addresses, job and actor names, messages, resource names) is data: printed on a
 * terminal, an escape sequence in it could retitle the window, clear the screen, move the cursor or hide text,
 * and a newline could forge a row of a table. Every human-readable output prints it through these; --json needs
 * nothing (JSON escapes control characters).
 */

// C0 and C1 controls and DEL (ESC, BEL, CSI and the rest), and the Unicode formatting characters that reorder or
// hide text on screen: zero-width ones, bidirectional overrides and isolates, the byte-order mark.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const LINE_BREAKS = /[\t\n]/g;

/** One field of a line or a table cell: controls removed, tabs and line breaks made spaces. */
export function printable(s: string): string {
  return s.replace(CONTROL, '').replace(LINE_BREAKS, ' ');
}

/** Text of several lines (an error message): controls removed, line breaks and tabs kept. */
export function printableText(s: string): string {
  return s.replace(CONTROL, '');
}

/** Every string of a value, keys (resource names) included, made printable(). */
export function printableDeep<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return printable(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [printable(k), walk(x)]));
  };
  return walk(value) as T;
}
