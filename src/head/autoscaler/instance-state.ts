/**
 * The lifecycle of a node the autoscaler launches, as a table: every allowed move has a comment saying when it
 * happens; transition() refuses any other and records when and why (Ray autoscaler v2's instance states).
 */
export type InstanceState =
  | 'queued' | 'requested' | 'allocated' | 'setting-up' | 'running' | 'draining' | 'terminating' | 'terminated'
  | 'allocation-failed' | 'setup-failed';

export const TRANSITIONS: Readonly<Record<InstanceState, Readonly<Partial<Record<InstanceState, string>>>>> = {
  queued: {
    requested: 'the launch was sent to the provider (one call per batch of a type)',
    terminated: 'dropped before it was sent: launching stopped (an auth or config error) while it waited for its turn',
  },
  requested: {
    allocated: 'the provider lists a node of this launch request',
    'allocation-failed': 'the provider refused the launch (capacity, quota, auth or config error)',
    terminated: 'nothing appeared within the node start timeout',
  },
  allocated: {
    'setting-up': 'the autoscaler started the node updater on it (providers reached over SSH)',
    running: 'its agent registered with the head (process nodes need no setup)',
    terminating: 'it never registered within the node start timeout, or it is no longer needed',
    terminated: 'it vanished from the provider',
  },
  'setting-up': {
    running: 'its agent registered (the updater started it; the updater may still be writing its last files)',
    'setup-failed': 'a setup step failed its last attempt (the updater retries first)',
    terminating: 'no longer needed, or not registered within the node start timeout; it is stopped once its setup has ended',
    terminated: 'it vanished from the provider',
  },
  running: {
    draining: 'chosen for termination, or drained by the head (a spot interruption notice): no new work is placed on it',
    terminating: 'its agent died (the head marked it dead)',
    terminated: 'it vanished from the provider',
  },
  draining: {
    terminating: 'terminate was sent to the provider (chosen, or drained by a notice and its agent gone or its instance stopped)',
    terminated: 'it vanished from the provider',
  },
  terminating: {
    terminated: 'the provider no longer lists it',
  },
  terminated: {},
  'allocation-failed': {
    terminated: 'the failure was recorded (the type backs off; the next tick may pick another type)',
  },
  'setup-failed': {
    terminating: 'the next tick hands it back (a host pool keeps the host out for a cool-down)',
    terminated: 'it vanished from the provider',
  },
};

export interface Instance {
  /** The provider's node id once known, else `<requestId>#<index>`. */
  id: string;
  nodeType: string;
  requestId: string;
  nodeId: string | undefined;
  state: InstanceState;
  since: number;
  history: { state: InstanceState; at: number; reason: string }[];
}

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
}

/** Moves an instance to `to`, or throws when the table has no such edge. Pure: returns the new instance. */
export function transition(i: Instance, to: InstanceState, now: number, reason: string): Instance {
  if (!(to in TRANSITIONS[i.state])) throw new IllegalTransitionError(`instance ${i.id}: ${i.state} → ${to} is not allowed (${reason})`);
  return { ...i, state: to, since: now, history: [...i.history, { state: to, at: now, reason }] };
}
