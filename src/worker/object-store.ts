/** The objects a node holds (large results and puts), by id, with the job they belong to for cleanup. */
export class ObjectStore {
  private readonly objects = new Map<string, { data: Uint8Array; jobId: string }>();
  private bytes = 0;

  put(id: string, data: Uint8Array, jobId: string): void {
    if (this.objects.has(id)) return;
    this.objects.set(id, { data, jobId });
    this.bytes += data.byteLength;
  }

  get(id: string): Uint8Array | undefined {
    return this.objects.get(id)?.data;
  }

  dropJob(jobId: string): void {
    for (const [id, o] of this.objects) {
      if (o.jobId === jobId) {
        this.objects.delete(id);
        this.bytes -= o.data.byteLength;
      }
    }
  }

  /** What it holds: each object's id, job and size (what an agent re-reports to a restarted head). */
  list(): { id: string; jobId: string; size: number }[] {
    return [...this.objects].map(([id, o]) => ({ id, jobId: o.jobId, size: o.data.byteLength }));
  }

  get size(): { objects: number; bytes: number } {
    return { objects: this.objects.size, bytes: this.bytes };
  }
}
