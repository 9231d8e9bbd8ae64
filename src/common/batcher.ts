/**
 * Collects items pushed during one turn of the event loop and hands them over as one batch: many small
 * messages become one frame. With `limit`, a batch whose items' sizes reach `limit.bytes` is handed over at once,
 * so one turn that sends a lot (a burst of large replies) makes several frames, each bounded, not one of any size.
 */
export class Batcher<T> {
  private items: T[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly flush: (items: T[]) => void, private readonly limit?: { bytes: number; size(item: T): number }) {}

  push(item: T): void {
    this.items.push(item);
    if (this.limit) {
      this.bytes += this.limit.size(item);
      if (this.bytes >= this.limit.bytes) return this.flushNow();
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushNow());
    }
  }

  flushNow(): void {
    this.scheduled = false;
    this.bytes = 0;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.flush(items);
  }
}
