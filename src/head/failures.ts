import type { Clock } from '../common/clock.js';
import type { ErrorInfo, FailureView } from '../protocol/messages.js';

/** A failure as the head's parts report it. */
export interface Failure {
  kind: ErrorInfo['kind'];
  what: string;
  message: string;
  nodeId: string;
}

/** The most recent failures, for `status`: nothing is lost silently, and nothing piles up either. */
export class FailureLog {
  private readonly kept: FailureView[] = [];

  constructor(private readonly clock: Clock, private readonly limit = 50) {}

  /** Keeps the first line of the message (a stack stays in the job's own output). */
  record(f: Failure): void {
    this.kept.push({ at: this.clock.now(), ...f, message: f.message.split('\n')[0] ?? '' });
    if (this.kept.length > this.limit) this.kept.shift();
  }

  list(): FailureView[] {
    return [...this.kept];
  }
}
