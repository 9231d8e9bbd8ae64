/**
 * What the head has already answered in the current turn of the event loop. A peer's frame is handled whole in one
 * turn, so "this turn" covers every message of the frame: a frame that repeats a request (a million fetches of one
 * id, queries by the thousand) gets one answer's worth of work and bytes, not one per copy.
 */
export class ThisTurn<V> {
  private readonly seen = new Set<string>();
  private value: { v: V } | undefined;
  private armed = false;

  /** True the first time `key` is seen this turn, false for every repeat. */
  first(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.arm();
    return true;
  }

  /** `make()`'s value, made once per turn. */
  memo(make: () => V): V {
    if (!this.value) {
      this.value = { v: make() };
      this.arm();
    }
    return this.value.v;
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    setImmediate(() => {
      this.armed = false;
      this.seen.clear();
      this.value = undefined;
    });
  }
}
