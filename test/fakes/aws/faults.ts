// Failures a test injects. Each is one the provider must handle the way the issue asks; the fake keeps them
// separate from its ordinary behaviour so a test names exactly what it turned on.
import { DEFAULT_STATUS } from './errors.js';

export interface InjectedFault {
  /** the error code answered, e.g. RequestLimitExceeded, AuthFailure, InternalError, Unavailable */
  code: string;
  message?: string;
  /** defaults to the status AWS gives the code (RequestLimitExceeded 503, InternalError 500, …) */
  status?: number;
  /** only calls of this action (RunInstances); any action when absent */
  action?: string;
  /** only calls to this service: ec2, iam, sts */
  service?: string;
  /** only calls signed with this access key */
  accessKeyId?: string;
  /** how many matching calls fail (default 1) */
  times?: number;
  /**
   * Carry the call out, then answer the error: the caller cannot know it took effect (a timeout or 5xx after
   * EC2 acted), which is what ClientToken idempotency is for.
   */
  afterApplying?: boolean;
}

export class Faults {
  private readonly queue: (InjectedFault & { left: number })[] = [];
  /** zone (or `zone/type`) → how many more instances RunInstances may still place there */
  private readonly capacity = new Map<string, number>();
  /** account-wide on-demand vCPU quota over pending, running and stopping instances */
  vcpuLimit: number | undefined;
  /** how many DescribeInstances calls a new instance stays unlisted in (by filter) or unknown (by id) */
  describeLag = 0;
  /** how long after an instance profile is made (or gets its role) RunInstances still calls it invalid */
  iamPropagationMs = 0;
  /** access keys that now fail with AuthFailure / InvalidClientTokenId */
  readonly revoked = new Set<string>();

  failNext(fault: InjectedFault): void {
    this.queue.push({ ...fault, left: fault.times ?? 1 });
  }

  /** The fault this call meets, if any, used up by one. */
  take(service: string, action: string, accessKeyId: string): (InjectedFault & { status: number }) | undefined {
    const i = this.queue.findIndex((f) =>
      f.left > 0 && (f.action === undefined || f.action === action) && (f.service === undefined || f.service === service) &&
      (f.accessKeyId === undefined || f.accessKeyId === accessKeyId));
    const f = this.queue[i];
    if (f === undefined) return undefined;
    f.left -= 1;
    if (f.left === 0) this.queue.splice(i, 1);
    return { ...f, status: f.status ?? DEFAULT_STATUS[f.code] ?? 400 };
  }

  /** Limits how many more instances (of one type, or of any) RunInstances may place in a zone. */
  setCapacity(zone: string, instances: number, instanceType?: string): void {
    this.capacity.set(instanceType === undefined ? zone : `${zone}/${instanceType}`, instances);
  }

  /** How many instances of the type the zone can still take (Infinity when unlimited). */
  capacityLeft(zone: string, instanceType: string): number {
    return Math.min(this.capacity.get(zone) ?? Infinity, this.capacity.get(`${zone}/${instanceType}`) ?? Infinity);
  }

  consumeCapacity(zone: string, instanceType: string, n: number): void {
    for (const key of [zone, `${zone}/${instanceType}`]) {
      const left = this.capacity.get(key);
      if (left !== undefined) this.capacity.set(key, left - n);
    }
  }

  revoke(accessKeyId: string): void {
    this.revoked.add(accessKeyId);
  }
}
