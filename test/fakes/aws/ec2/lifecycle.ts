// An instance's lifecycle as EC2 reports it. Every move the fake makes goes through transition(), which refuses
// anything EC2 would not do.

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

/** The state codes EC2 puts beside each name (the low byte of <code>). */
export const STATE_CODE: Record<InstanceStateName, number> = {
  pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80,
};

export const TRANSITIONS: Record<InstanceStateName, readonly InstanceStateName[]> = {
  // booting ends (after bootDelayMs); or the instance is terminated before it ever ran
  pending: ['running', 'shutting-down'],
  // StopInstances; TerminateInstances or a spot interruption
  running: ['stopping', 'shutting-down'],
  // the stop completes (after stopDelayMs); or it is terminated while stopping
  stopping: ['stopped', 'shutting-down'],
  // StartInstances boots it again on a (possibly other) host; or it is terminated
  stopped: ['pending', 'shutting-down'],
  // the termination completes (after terminateDelayMs)
  'shutting-down': ['terminated'],
  // final: listed a while longer, never changes again
  terminated: [],
};

export interface StateChange {
  from: InstanceStateName;
  to: InstanceStateName;
  at: number;
  reason: string;
}

export function transition(from: InstanceStateName, to: InstanceStateName, at: number, reason: string): StateChange {
  if (!TRANSITIONS[from].includes(to)) throw new Error(`fake EC2: illegal instance transition ${from} → ${to} (${reason})`);
  return { from, to, at, reason };
}
