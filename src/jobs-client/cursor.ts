/**
 * Where a follower is in a job's output, in characters (the head numbers each piece with `at`): a follower back
 * after its connection dropped asks from there, and drops whatever part of a piece it had already. Pure.
 */
export class OutputCursor {
  constructor(public seen = 0) {}

  /** The part of this piece not seen yet ('' when none); a note of the head's (no `at`) is shown as it is. */
  take(text: string, at: number | undefined): string {
    if (at === undefined) return text;
    const fresh = at + text.length > this.seen ? text.slice(Math.max(0, this.seen - at)) : '';
    this.seen = Math.max(this.seen, at + text.length);
    return fresh;
  }
}
