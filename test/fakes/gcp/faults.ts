// Failures a test injects, kept apart from the fake's ordinary behaviour so a test names exactly what it turned
// on. Each is one the GCP provider must handle as issue 15 asks.

export interface InjectedFailure {
  /** HTTP status answered: 401, 403, 429, 500, 503 */
  status: number;
  /** errors[0].reason: authError, forbidden, rateLimitExceeded, backendError, … (a default per status when absent) */
  reason?: string;
  message?: string;
  /** only calls of this method, as the call log names it (`instances.bulkInsert`); any when absent */
  method?: string;
  /** only calls made with this principal's tokens (a user or service account email) */
  principal?: string;
  /** how many matching calls fail (default 1) */
  times?: number;
  /** Carry the call out, then answer the error, so the caller cannot know it took effect (what requestId is for). */
  afterApplying?: boolean;
}

const DEFAULT_REASON: Record<number, { reason: string; message: string }> = {
  401: { reason: 'authError', message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.' },
  403: { reason: 'forbidden', message: 'Required permission is missing for this call (injected by the test).' },
  429: { reason: 'rateLimitExceeded', message: "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com'." },
  500: { reason: 'backendError', message: 'Internal error. Please try again or contact Google Support.' },
  503: { reason: 'backendError', message: 'The service is currently unavailable.' },
};

export class Faults {
  private readonly queue: (InjectedFailure & { left: number })[] = [];
  /** zone (or `zone/machineType`) → how many more instances may still start there */
  private readonly capacity = new Map<string, number>();
  /** answer ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS rather than the plain code */
  exhaustedWithDetails = false;
  /** `METRIC/region` → limit (CPUS, INSTANCES, NVIDIA_T4_GPUS, …); unlimited when absent */
  readonly quotas = new Map<string, number>();
  /** the Compute API is not enabled in the project: every call is 403 accessNotConfigured */
  apiDisabled = false;
  /** how many list/aggregatedList calls an instance created from now on stays out of (get still finds it) */
  listLag = 0;
  private readonly slow: { method?: string; ms: number; left: number }[] = [];
  /** instance name → the key its guest attributes report instead of its host's */
  readonly hostKeyOverrides = new Map<string, { keyType: string; key: string }>();
  /** tokens (or every token of a principal) that now fail with 401 */
  readonly revoked = new Set<string>();

  failNext(f: InjectedFailure): void {
    this.queue.push({ ...f, left: f.times ?? 1 });
  }

  /** 429 rateLimitExceeded for the next `times` calls (of `method`, if given). */
  throttle(times = 1, method?: string): void {
    this.failNext({ status: 429, times, method });
  }

  take(method: string, principal: string | undefined): (InjectedFailure & { reason: string; message: string }) | undefined {
    const i = this.queue.findIndex((f) => f.left > 0 && (f.method === undefined || f.method === method) && (f.principal === undefined || f.principal === principal));
    const f = this.queue[i];
    if (f === undefined) return undefined;
    f.left -= 1;
    if (f.left === 0) this.queue.splice(i, 1);
    const d = DEFAULT_REASON[f.status] ?? { reason: 'backendError', message: 'Injected failure.' };
    return { ...f, reason: f.reason ?? d.reason, message: f.message ?? d.message };
  }

  /** At most `n` more instances (of one machine type, or of any) start in the zone; then ZONE_RESOURCE_POOL_EXHAUSTED. */
  setCapacity(zone: string, n: number, machineType?: string): void {
    this.capacity.set(machineType === undefined ? zone : `${zone}/${machineType}`, n);
  }

  capacityLeft(zone: string, machineType: string): number {
    return Math.min(this.capacity.get(zone) ?? Infinity, this.capacity.get(`${zone}/${machineType}`) ?? Infinity);
  }

  consumeCapacity(zone: string, machineType: string, n: number): void {
    for (const key of [zone, `${zone}/${machineType}`]) {
      const left = this.capacity.get(key);
      if (left !== undefined) this.capacity.set(key, left - n);
    }
  }

  /** A regional quota (CPUS, INSTANCES, a GPU metric): an insert past it fails with QUOTA_EXCEEDED in its operation. */
  setQuota(metric: string, limit: number, region: string): void {
    this.quotas.set(`${metric}/${region}`, limit);
  }

  /** The next `times` operations (of `method`, if given) stay RUNNING for `ms` before they finish. */
  slowOperation(ms: number, opts: { method?: string; times?: number } = {}): void {
    this.slow.push({ method: opts.method, ms, left: opts.times ?? 1 });
  }

  takeSlow(method: string): number {
    const i = this.slow.findIndex((s) => s.method === undefined || s.method === method);
    const s = this.slow[i];
    if (s === undefined) return 0;
    s.left -= 1;
    if (s.left === 0) this.slow.splice(i, 1);
    return s.ms;
  }

  /** The instance's guest attributes report this key (an OpenSSH public key line) instead of its host's. */
  reportHostKey(instance: string, keyLine: string): void {
    const [keyType = '', key = ''] = keyLine.trim().split(/\s+/);
    this.hostKeyOverrides.set(instance, { keyType, key });
  }

  /** A token, or every token issued to a principal, is refused from now on (401). */
  revoke(tokenOrPrincipal: string): void {
    this.revoked.add(tokenOrPrincipal);
  }
}
