import { EventEmitter } from 'node:events';
import type { Clock } from '../../../src/common/clock.js';

/** Time the test moves: `advance()` and a fake cloud applies whatever became due (boots, stops, notices, operations). */
export class ManualClock extends EventEmitter implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {
    super();
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
    this.emit('advance', this.t);
  }
}
