import { HeadUnavailableError, type RaylaunchRuntimeError } from './errors.js';
import { backoffDelay } from './reconnect.js';
import type { Transport } from './transport.js';

/** A reconnect attempt the head refused for good (its job no longer runs there, its credential is no longer admitted). */
export class ReconnectRefused extends Error {}

/** What the loop needs of the runtime that lost its head. */
export interface ReconnectSteps {
  /** Still without a head, and not closing: go on trying. */
  waiting(): boolean;
  /** One attempt: connect and say hello again (rejects with ReconnectRefused when it is final). */
  attempt(): Promise<Transport>;
  /** Takes the connection and resumes on it; rejects when it dropped again meanwhile. */
  resume(transport: Transport): Promise<void>;
  fail(reason: string, error: RaylaunchRuntimeError): void;
  say(line: string): void;
}

/**
 * Tries a head again with backoff and jitter until one takes the driver back or the deadline passes (then every
 * pending and later call fails with HeadUnavailableError), at least once. `since` and `deadline` are ms since the epoch.
 */
export async function reconnectLoop(steps: ReconnectSteps, o: { since: number; deadline: number; timeoutMs: number; reason: string }): Promise<void> {
  let { reason } = o;
  const waitedS = () => Math.round((Date.now() - o.since) / 1000);
  for (let attempt = 0; steps.waiting(); attempt++) {
    // At least one attempt, however short the timeout or late this loop got to run.
    const left = o.deadline - Date.now();
    if (left <= 0 && attempt > 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(left, backoffDelay(attempt, Math.random())))));
    if (!steps.waiting()) return;
    let transport: Transport;
    try {
      transport = await steps.attempt();
    } catch (e) {
      if (e instanceof ReconnectRefused) {
        return steps.fail(e.message, new HeadUnavailableError(`the head took the driver back but will not run its job: ${e.message}`, { waitedS: waitedS(), cause: e }));
      }
      reason = (e as Error).message;
      continue;
    }
    if (!steps.waiting()) {
      void transport.close();
      return;
    }
    try {
      await steps.resume(transport);
    } catch (e) {
      reason = (e as Error).message;
      continue; // dropped again while resuming: what was not resumed is asked about again on the next head
    }
    steps.say('raylaunch: reconnected to the head\n');
    return;
  }
  if (steps.waiting()) {
    const s = Math.round(o.timeoutMs / 1000);
    steps.fail(`no head within ${s} s (${reason})`, new HeadUnavailableError(`lost the connection to the head and no head took the driver back within ${s} s (raylaunch.head_reconnect_timeout_s): ${reason}`, { waitedS: waitedS() }));
  }
}
