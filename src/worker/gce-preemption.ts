/**
 * A Spot or preemptible GCE node's watch for its preemption: `instance/preempted` turns TRUE when GCE takes the
 * instance back (about 30 s before it stops), and the agent tells the head at once, so the head drains the node
 * and its autoscaler replaces it. The value is long-polled (`wait_for_change`), so the notice arrives as soon as
 * it is posted and an idle node makes one call a minute.
 */
import type { GceMetadata } from './gce-metadata.js';

export const PREEMPTED_PATH = 'instance/preempted';
/** What status and monitor say of a node drained by its preemption. */
export const GCE_PREEMPTION_REASON = 'GCE preemption notice';
/** Each long-poll's timeout_sec: short enough that a lost connection is noticed, long enough to cost nothing. */
export const LONG_POLL_S = 60;
/** After a failed call, the next one waits this long: a server that refuses at once must not be hammered. */
export const RETRY_MS = 2_000;

export interface GcePreemptionOptions {
  metadata: GceMetadata;
  onNotice(): void;
  /** A call that failed (the server unreachable); the watch goes on. */
  onError(e: Error): void;
  retryMs?: number;
}

/** Reads `instance/preempted`, then long-polls it until it is TRUE (reported once) or stop(). */
export class GcePreemptionWatcher {
  private state: 'idle' | 'watching' | 'noticed' | 'stopped' = 'idle';
  private lastError = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: GcePreemptionOptions) {}

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'watching';
    void this.watch(undefined);
  }

  stop(): void {
    this.state = 'stopped';
    clearTimeout(this.timer);
  }

  /**
   * One look: a plain read without an ETag (a preemption before the agent started is seen at once), else a
   * long-poll from that ETag. The next look is scheduled only when this one ends, so calls never pile up.
   */
  private async watch(etag: string | undefined): Promise<void> {
    let next = etag;
    let delay = 0;
    try {
      const v = await this.o.metadata.get(PREEMPTED_PATH, etag === undefined ? undefined : { lastEtag: etag, timeoutSec: LONG_POLL_S });
      if (v?.body.trim() === 'TRUE' && this.state === 'watching') {
        this.state = 'noticed';
        this.o.onNotice();
        return;
      }
      // Without an ETag to wait from, a long-poll would return at once: look again after a pause instead.
      next = v?.etag;
      if (next === undefined) delay = this.o.retryMs ?? RETRY_MS;
    } catch (e) {
      // Said once per distinct failure: an unreachable server would otherwise flood the node's log.
      if ((e as Error).message !== this.lastError) this.o.onError(e as Error);
      this.lastError = (e as Error).message;
      delay = this.o.retryMs ?? RETRY_MS;
    }
    if (this.state !== 'watching') return;
    if (delay === 0) {
      void this.watch(next);
      return;
    }
    this.timer = setTimeout(() => void this.watch(next), delay);
    this.timer.unref();
  }
}
