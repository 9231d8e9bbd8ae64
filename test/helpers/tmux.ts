import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';

/**
 * A terminal for tests that drive an interactive program: a tmux server of the test's own (its own socket, so
 * nobody else's sessions are touched) running `command` in a 200×50 window.
 */
export class TmuxTerminal {
  private readonly socket: string;

  constructor(command: string) {
    this.socket = `rl-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.tmux('new-session', '-d', '-x', '200', '-y', '50', command);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Types a line and presses Enter. */
  type(line: string): void {
    this.tmux('send-keys', line, 'Enter');
  }

  /** Presses keys as tmux names them (`C-c`, `Enter`), without typing a line. */
  press(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  /** The screen now; with `escapes`, with its colour codes. */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []));
  }

  /** Polls the screen until it matches (at most `timeoutMs`, a bound for hangs only); returns the screen. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = this.tmux('capture-pane', '-p');
    while (Date.now() < deadline && !re.test(screen)) {
      await new Promise((r) => setTimeout(r, 100));
      screen = this.tmux('capture-pane', '-p');
    }
    assert.match(screen, re);
    return screen;
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}
