/**
 * A job whose driver the head does not own: one its operator started by hand (`raylaunch run job.ts`, `node job.mjs`
 * with the operator's credential), which gets a job of its own when it connects. The head knows such a driver only
 * by its connection, so a connection that goes without the driver saying it ended (`driver.exit`) may be a driver
 * that died, one whose network dropped, or (to a restarted head) one that is reconnecting: the job stays RUNNING for
 * raylaunch.head_reconnect_timeout_s for it to come back under the same client id and job, then ends FAILED saying
 * so. Pure: time is passed in; job-manager.ts keeps the facts and the timer.
 *
 * How Ray differs, and why: a Ray driver runs on a node of the cluster, connected to that node's raylet, which
 * watches its process and marks its job finished in the GCS the moment its socket closes; across a restart of the
 * GCS only the driver's GCS client reconnects (gcs_rpc_server_reconnect_timeout_s), the raylet never lost it, so
 * its job goes on. Ours connect to the head over the network, like Ray Client (ray://), and nothing beside the
 * driver watches its process; Ray Client's server keeps a dropped client's session (and its work) for
 * RAY_CLIENT_RECONNECT_GRACE_PERIOD (30 s) and then drops it without a record. Ours keep the job for the window the
 * driver itself reconnects in (one setting, so the two agree) and then record it FAILED with the reason, since
 * `job list` and `job status` outlive the session here.
 */
import type { JobState } from '../../protocol/messages.js';

/** What the head knows of a hand-started job's drivers. */
export interface HandDrivers {
  /** Its drivers connected now, by client id. */
  connected: ReadonlySet<string>;
  /** Its drivers whose connection went without their saying they ended, by client id: since when (ms). */
  away: ReadonlyMap<string, number>;
  /** The exit code the last driver that ended said it ended with. */
  exitCode: number | undefined;
  /** Why the head closed the connection of a driver that went (what it sent could not be taken), if it did. */
  refused?: string | undefined;
}

export type HandJobFate =
  /** A driver is connected. */
  | { kind: 'running' }
  /** No driver is connected, and one that went without ending may come back until `until` (ms). */
  | { kind: 'waiting'; until: number }
  | { kind: 'ended'; state: Extract<JobState, 'SUCCEEDED' | 'FAILED'>; exitCode: number | null; message?: string };

/** What becomes of a hand-started job at `now`, its drivers given a grace of `graceMs` to come back. */
export function handJobFate(d: HandDrivers, now: number, graceMs: number): HandJobFate {
  if (d.connected.size > 0) return { kind: 'running' };
  if (d.away.size > 0) {
    const until = Math.max(...d.away.values()) + graceMs;
    if (now < until) return { kind: 'waiting', until };
    const who = [...d.away.keys()].join(', ');
    return {
      kind: 'ended', state: 'FAILED', exitCode: null,
      message: `the driver (client ${who}) lost its connection to the head and did not come back within ${Math.round(graceMs / 1000)} s (raylaunch.head_reconnect_timeout_s)`,
    };
  }
  // Cut off by the head for what it sent: a driver that breaks the protocol is not waited for.
  if (d.refused !== undefined) return { kind: 'ended', state: 'FAILED', exitCode: null, message: d.refused };
  const exitCode = d.exitCode ?? 0;
  return exitCode === 0 ? { kind: 'ended', state: 'SUCCEEDED', exitCode } : { kind: 'ended', state: 'FAILED', exitCode };
}
