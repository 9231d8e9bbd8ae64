/**
 * Colour where it helps a person read (states, errors, warnings): only on a terminal, and never when NO_COLOR is
 * set (https://no-color.org) or TERM is dumb. Plain ANSI codes: nothing to load for a handful of styles.
 */
const CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39], bold: [1, 22], dim: [2, 22] } as const;
export type Style = keyof typeof CODES;

export function useColour(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export function paint(on: boolean, style: Style | undefined, text: string): string {
  if (!on || !style || text === '') return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** How a state of a node, job, actor or cluster is coloured: good green, bad red, in between yellow. */
export function stateStyle(state: string): Style | undefined {
  if (['ALIVE', 'UP', 'SUCCEEDED', 'CREATED'].includes(state)) return 'green';
  if (['DEAD', 'FAILED', 'UNREACHABLE', 'INFEASIBLE'].includes(state)) return 'red';
  if (['DRAINING', 'STOPPED', 'RESTARTING', 'PENDING', 'RESCHEDULING', 'INIT'].includes(state)) return 'yellow';
  if (state === 'RUNNING') return 'cyan';
  return undefined;
}

/** Text as it shows on a terminal: without colour codes (for widths). */
const CODE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
export const visible = (s: string): string => s.replace(CODE, '');
