// What the autoscaler tells about itself (its events and the view `status` shows): written by its decision code,
// carried by the protocol, read by the CLI. Here, where all three may import it.
import type { ResourceDict } from './resources.js';

/** What an autoscaler event is about, by kind: the fields a reader acts on (the message is for people). */
export type AutoscalerEventDetail =
  | { kind: 'launch'; nodeType: string; count: number }
  | { kind: 'terminate'; nodeId: string; /** idle, outdated, max_workers, never_registered, setup_failed, … */ reason: string }
  | { kind: 'drain'; nodeId: string; /** why it drains before the autoscaler chose it: e.g. 'spot interruption notice' */ reason: string }
  | { kind: 'backoff'; nodeType: string; /** how long the type is not launched again */ seconds: number }
  | {
    kind: 'setup-failed'; nodeId: string;
    /** The node updater's step that failed (waiting-for-ssh, syncing-files, setting-up, starting), when known. */
    step: string | null;
    /** The failed command's exit code, when a command failed. */
    exitCode: number | null;
    /** Why, on one line (the command's last output included). */
    error: string;
    /** The node's setup log on the head. */
    log: string;
  }
  | { kind: 'error' };

/** One decision or outcome of the autoscaler, with its reason. */
export type AutoscalerEvent = { at: number; seq: number; message: string } & AutoscalerEventDetail;

export interface AutoscalerView {
  events: AutoscalerEvent[];
  /** Demands no launch will answer now, and why. */
  pending: { resources: ResourceDict; count: number; why: string }[];
  /** Every live worker: busy, or why it is still there while idle. */
  nodes: { nodeId: string; why: string }[];
  /** Workers launched but not registered yet, with their update step (setting-up, update-failed, …) or provider status. */
  launching: { nodeId: string; nodeType: string; status: string }[];
  /** Set when launching stopped (an auth or config error the user must fix). */
  stopped?: string;
  errors: number;
}
