import { createInterface } from 'node:readline/promises';
import type { RaylaunchError } from '../common/errors.js';
import { CancelledError, ConfirmationNeededError } from '../launcher/errors.js';
import { describeWork, type RunningWork } from '../launcher/running-work.js';

/**
 * Asks before something is destroyed. `-y` answers yes; without a terminal to ask on, `needed()` is thrown (it
 * says which flag answers); a "no" (the default) cancels with nothing changed.
 */
export async function confirm(question: string, o: { yes: boolean; needed(): RaylaunchError }): Promise<void> {
  if (o.yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) throw o.needed();
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = await rl.question(`${question} [y/N] `);
  } finally {
    rl.close();
  }
  if (!/^y/i.test(answer.trim())) throw new CancelledError('cancelled; nothing was changed');
}

/** What `up` asks before restarting a running cluster for a config change the head cannot take live. */
export function confirmRestart(clusterName: string, yes: boolean): (changed: string[], work: RunningWork) => Promise<void> {
  return (changed, work) => {
    const what = `cluster ${clusterName} runs with another config, and applying it restarts the head (changed: ${changed.join(', ')}), which ends ${describeWork(work)}`;
    return confirm(`${what[0]?.toUpperCase()}${what.slice(1)}. Restart it?`, {
      yes,
      needed: () => new ConfirmationNeededError(what, {
        hint: 'run raylaunch up again with -y to restart it (settings the head takes live never need one: max_workers, upscaling_speed, idle_timeout_minutes, and each node type\'s min_workers and max_workers)',
      }),
    });
  };
}
