import type { PlacementGroupView } from '../protocol/messages.js';
import { GetTimeoutError, RaylaunchRuntimeError } from './errors.js';

interface Group { state: PlacementGroupView['state']; message?: string; waiters: (() => void)[] }

/**
 * The placement groups this process knows of, as the head last reported them (`pg.state`), and the ready() calls
 * waiting for them. `closed` says why the connection to the cluster is gone, if it is.
 */
export class PlacementGroupStates {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly closed: () => string | undefined) {}

  private group(pgId: string): Group {
    let g = this.groups.get(pgId);
    if (!g) {
      g = { state: 'PENDING', waiters: [] };
      this.groups.set(pgId, g);
    }
    return g;
  }

  /** This process created the group: it is pending until the head says otherwise. */
  created(pgId: string): void {
    this.groups.set(pgId, { state: 'PENDING', waiters: [] });
  }

  /** The head's word on the group; wakes its ready() calls. */
  update(pgId: string, state: PlacementGroupView['state'], message: string | undefined): void {
    const g = this.group(pgId);
    g.state = state;
    if (message) g.message = message;
    this.wake(g);
  }

  /** Resolves once the group is reserved; rejects when it can never be, or was removed, or at the timeout. */
  async ready(pgId: string, timeoutMs: number | undefined): Promise<void> {
    const g = this.group(pgId);
    if (g.state === 'PENDING' && this.closed() === undefined) {
      await new Promise<void>((resolve, reject) => {
        const timer = timeoutMs === undefined ? undefined
          : setTimeout(() => reject(new GetTimeoutError(`placement group ${pgId} was not ready within ${timeoutMs} ms`, { timeoutMs, placementGroupId: pgId })), timeoutMs);
        g.waiters.push(() => { if (timer) clearTimeout(timer); resolve(); });
      });
    }
    if (g.state === 'CREATED') return;
    const closed = this.closed();
    throw new RaylaunchRuntimeError(g.message ?? (closed ? `lost the connection to the cluster: ${closed}` : `placement group ${pgId} is ${g.state}`));
  }

  /** Wakes every ready() call (the connection closed: they find the group still pending and say why). */
  wakeAll(): void {
    for (const g of this.groups.values()) this.wake(g);
  }

  private wake(g: Group): void {
    const waiters = g.waiters;
    g.waiters = [];
    for (const w of waiters) w();
  }
}
