import type { Clock } from '../common/clock.js';
import {
  type ClusterReading, columns, dueSlot, HISTORY_INTERVAL_MS, HISTORY_SAMPLES, type HistoryJson, Ring, type Sample, sampleOf, untilNextSlot,
} from './history.js';

export interface HeadHistoryOptions {
  clock: Clock;
  /** The read model's view of the cluster now (`status`). */
  read(): ClusterReading;
  intervalMs?: number;
  capacity?: number;
}

/** Hears each new sample as the rows to append (history.ts's JSON, a gap's null row included). */
export type HistoryListener = (rows: HistoryJson) => void;

/**
 * The head's last hour, sampled from the read model at every slot (history.ts) and kept in memory only: what a
 * dashboard page shows when it opens, and what its live stream appends as samples come.
 */
export class HeadHistory {
  private readonly ring: Ring<Sample>;
  private readonly intervalMs: number;
  private readonly listeners = new Set<HistoryListener>();
  private timer: NodeJS.Timeout | undefined;
  private lastSlot: number | undefined;
  private running = false;

  constructor(private readonly o: HeadHistoryOptions) {
    this.intervalMs = o.intervalMs ?? HISTORY_INTERVAL_MS;
    this.ring = new Ring(o.capacity ?? HISTORY_SAMPLES);
  }

  /** Samples now, then at the start of every slot. */
  start(): void {
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Takes a sample if its slot has none yet; the timer calls it, and tests on a manual clock. */
  tick(): void {
    const now = this.o.clock.now();
    const slot = dueSlot(this.lastSlot, now, this.intervalMs);
    if (slot !== undefined) this.take(slot);
    if (this.running) this.arm(now);
  }

  private take(slot: number): void {
    const before = this.ring.last();
    const sample = sampleOf(this.o.read(), slot);
    this.lastSlot = slot;
    this.ring.push(sample);
    if (this.listeners.size === 0) return;
    const rows = columns([sample], before, this.intervalMs);
    for (const l of this.listeners) l(rows);
  }

  private arm(now: number): void {
    if (this.timer) clearTimeout(this.timer);
    // A timer that fires a little early finds its slot taken and re-arms; one that fires late samples late.
    this.timer = setTimeout(() => this.tick(), untilNextSlot(now, this.intervalMs) + 1);
    this.timer.unref();
  }

  /** The whole hour kept, as columns. */
  json(): HistoryJson {
    return columns(this.ring.toArray(), undefined, this.intervalMs);
  }

  /** Each new sample's rows, until the returned function is called. */
  subscribe(listener: HistoryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
