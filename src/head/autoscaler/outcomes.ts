/**
 * What the executor's actions came to, and what each outcome changes, pure: the instance table, the capacity
 * backoff and whether launching has stopped (read by the next tick's decide()), the setup step each node is at
 * (for status), and the events people read. The provider's error classes decide, never their message text: the
 * executor reads them (failures.ts) and reports them as data.
 */
import type { CloudNode } from '../../common/cloud-node.js';
import { backOff, type Backoff, launchedOk } from './backoff.js';
import type { EventDraft } from './decide.js';
import { type Instance, type InstanceState, transition, TRANSITIONS } from './instance-state.js';
import { allocateListed } from './instances.js';
import { backoffText, oneLine, setupFailedText } from './why.js';

/** A failed launch, by what its error's class says to do. */
export type LaunchFailure =
  /** No capacity or quota for the type: back it off (a quota longer), other types may serve. */
  | { class: 'capacity'; reason: 'capacity' | 'quota'; message: string }
  /**
   * Credentials or config the user must fix: launching stops until then. `retryAfterMs`: credentials that may
   * come right by themselves (the head's instance-profile credentials rotate), so launching is tried again then.
   */
  | { class: 'stop'; message: string; hint: string | undefined; retryAfterMs?: number }
  /** Transient, or unexpected: the next tick decides again. */
  | { class: 'retry'; message: string };

/** A failed node setup: the updater's step and the command's exit code, where it knew them. */
export interface SetupFailure { message: string; step: string | null; exitCode: number | null }

export type Outcome =
  /** A queued launch was sent to the provider. */
  | { kind: 'sent'; requestId: string }
  /** A queued launch was not sent: launching stopped meanwhile. */
  | { kind: 'dropped'; requestId: string; why: string }
  | { kind: 'launched'; requestId: string; nodeType: string }
  | { kind: 'launch-failed'; requestId: string; nodeType: string; count: number; failure: LaunchFailure }
  /** The provider's listing after this tick's launches: their nodes' ids. */
  | { kind: 'listed'; requestIds: string[]; nodes: CloudNode[] }
  /** The node updater reached a step (waiting-for-ssh, syncing-files, setting-up, starting, up-to-date). */
  | { kind: 'setup-step'; nodeId: string; step: string }
  | { kind: 'setup-done'; nodeId: string }
  | { kind: 'setup-failed'; nodeId: string; failure: SetupFailure; log: string };

export interface AutoscalerState {
  instances: Instance[];
  backoff: Backoff;
  /** Why launching stopped (an auth or config error the user must fix); unset while it goes on. */
  stopped: string | undefined;
  /** When launching is tried again after an auth error; unset: stopped until the config changes. */
  stoppedUntil?: number;
  /** The setup step each node is at, for status (until it registers). */
  setupSteps: Readonly<Record<string, string>>;
}

/** Moves the instances of one request (or node) that can make the move; the others are left as they are. */
function move(instances: readonly Instance[], match: (i: Instance) => boolean, to: InstanceState, now: number, reason: string): Instance[] {
  return instances.map((i) => (match(i) && to in TRANSITIONS[i.state] ? transition(i, to, now, reason) : i));
}

const latestOf = (instances: readonly Instance[], nodeId: string) => instances.findLast((i) => i.nodeId === nodeId);

export function applyOutcome(s: AutoscalerState, o: Outcome, now: number): { state: AutoscalerState; events: EventDraft[] } {
  const ofRequest = (id: string) => (i: Instance) => i.requestId === id && i.nodeId === undefined;
  switch (o.kind) {
    case 'sent':
      return { state: { ...s, instances: move(s.instances, (i) => ofRequest(o.requestId)(i) && i.state === 'queued', 'requested', now, 'launch sent') }, events: [] };
    case 'dropped':
      return { state: { ...s, instances: move(s.instances, (i) => ofRequest(o.requestId)(i) && i.state === 'queued', 'terminated', now, o.why) }, events: [] };
    case 'launched':
      return { state: { ...s, backoff: launchedOk(s.backoff, o.nodeType) }, events: [] };
    case 'listed':
      return { state: { ...s, instances: allocateListed(s.instances, new Set(o.requestIds), o.nodes, now) }, events: [] };
    case 'launch-failed':
      return launchFailed(s, o, now);
    case 'setup-step':
      return { state: { ...s, setupSteps: { ...s.setupSteps, [o.nodeId]: o.step } }, events: [] };
    case 'setup-done':
      return { state: s, events: [] };
    case 'setup-failed': {
      const steps = { ...s.setupSteps, [o.nodeId]: 'update-failed' };
      // Only a node still being set up failed: one terminated meanwhile was stopped on purpose.
      if (latestOf(s.instances, o.nodeId)?.state !== 'setting-up') return { state: { ...s, setupSteps: steps }, events: [] };
      const error = oneLine(o.failure.message);
      const instances = move(s.instances, (i) => i === latestOf(s.instances, o.nodeId), 'setup-failed', now, error);
      return {
        state: { ...s, instances, setupSteps: steps },
        events: [{ kind: 'setup-failed', nodeId: o.nodeId, step: o.failure.step, exitCode: o.failure.exitCode, error, log: o.log, message: setupFailedText(o.nodeId, error, o.log) }],
      };
    }
  }
}

function launchFailed(s: AutoscalerState, o: Extract<Outcome, { kind: 'launch-failed' }>, now: number): { state: AutoscalerState; events: EventDraft[] } {
  const f = o.failure;
  const instances = move(move(s.instances, (i) => i.requestId === o.requestId && i.nodeId === undefined, 'allocation-failed', now, f.message),
    (i) => i.requestId === o.requestId && i.state === 'allocation-failed', 'terminated', now, 'recorded');
  if (f.class === 'capacity') {
    const { backoff, waitMs } = backOff(s.backoff, o.nodeType, f.reason, now);
    const seconds = Math.round(waitMs / 1000);
    return { state: { ...s, instances, backoff }, events: [{ kind: 'backoff', nodeType: o.nodeType, seconds, message: backoffText(o.nodeType, f.message, seconds) }] };
  }
  if (f.class === 'stop') {
    const again = f.retryAfterMs === undefined ? '' : `; tried again in ${Math.round(f.retryAfterMs / 1000)} s`;
    const stopped = `${f.message}${f.hint ? ` (${f.hint})` : ''}${again}`;
    const until = f.retryAfterMs === undefined ? {} : { stoppedUntil: now + f.retryAfterMs };
    return { state: { ...s, instances, stopped, ...until }, events: [{ kind: 'error', message: `launching stopped: ${stopped}` }] };
  }
  return { state: { ...s, instances }, events: [{ kind: 'error', message: `launch of ${o.count} × ${o.nodeType} failed: ${f.message}` }] };
}

/** Launching stopped by an auth error goes on once its wait is over (the next failure stops it again). */
export function resumeIfDue(s: AutoscalerState, now: number): AutoscalerState {
  if (s.stopped === undefined || s.stoppedUntil === undefined || now < s.stoppedUntil) return s;
  const { stoppedUntil: _until, ...rest } = s;
  return { ...rest, stopped: undefined };
}
