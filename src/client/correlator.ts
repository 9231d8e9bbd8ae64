/**
 * Requests that expect one reply, matched by `reqId`. The reply types are a map from the reply message's type to
 * what it resolves with, so a reply of the wrong type cannot settle a request that waits for another.
 */
export class Correlator<Replies extends Record<string, unknown>> {
  private readonly pending = new Map<number, { kind: keyof Replies; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private seq = 0;

  /**
   * Sends a request under a fresh id and waits for its `kind` of reply. If `send` throws, nothing is left
   * pending and the error is thrown here.
   */
  request<K extends keyof Replies>(kind: K, send: (reqId: number) => void): Promise<Replies[K]> {
    const reqId = this.seq++;
    // Stored untyped: settle() resolves it only with a reply of the same kind, which has this type.
    const reply = new Promise<Replies[K]>((resolve, reject) => this.pending.set(reqId, { kind, resolve: resolve as (v: unknown) => void, reject }));
    try {
      send(reqId);
    } catch (e) {
      this.pending.delete(reqId);
      throw e;
    }
    return reply;
  }

  /**
   * Settles request `reqId` with what `outcome` returns, or rejects it with what `outcome` throws. A reply that
   * no request of its kind waits for (late, or a stray) is dropped, and `outcome` does not run.
   */
  settle<K extends keyof Replies>(kind: K, reqId: number, outcome: () => Replies[K]): void {
    const p = this.pending.get(reqId);
    if (!p || p.kind !== kind) return;
    this.pending.delete(reqId);
    try {
      p.resolve(outcome());
    } catch (e) {
      p.reject(e as Error);
    }
  }

  /** Rejects every pending request (the connection closed: no reply will come). */
  rejectAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  /** How many requests wait for a reply. */
  get size(): number {
    return this.pending.size;
  }
}
