// Whether a zone can take n more instances of a type: the zone's capacity (a fault), the host pool, and the
// region's quotas. The answer is an error inside the operation, as GCE reports both.
import { ACCELERATOR_TYPES, MACHINE_TYPES, regionOf } from './catalog.js';
import type { Cloud } from './cloud.js';
import type { OperationError } from './errors.js';
import type { Instance } from './model.js';
import type { InstanceSpec } from './validate.js';

const QUOTA_METRICS: Record<string, string> = { CPUS: 'compute.googleapis.com/cpus', INSTANCES: 'compute.googleapis.com/instances' };

/** Quota use of one instance of the spec, by metric. */
export function usageOf(machineType: string, accelerators: { acceleratorType: string; acceleratorCount: number }[]): Record<string, number> {
  const mt = MACHINE_TYPES.find((m) => m.name === machineType);
  const out: Record<string, number> = { CPUS: mt?.guestCpus ?? 0, INSTANCES: 1 };
  const accs = [...accelerators, ...(mt?.accelerators ?? []).map((a) => ({ acceleratorType: a.guestAcceleratorType, acceleratorCount: a.guestAcceleratorCount }))];
  for (const a of accs) {
    const q = ACCELERATOR_TYPES[a.acceleratorType]?.quota;
    if (q !== undefined) out[q] = (out[q] ?? 0) + a.acceleratorCount;
  }
  return out;
}

/** What a region's instances use now: stopped and suspended ones hold no CPUs or GPUs, but still count as instances. */
export function regionUsage(cloud: Cloud, region: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of cloud.instances.values()) {
    if (regionOf(i.zone) !== region) continue;
    const held = i.status !== 'TERMINATED' && i.status !== 'SUSPENDED';
    for (const [m, n] of Object.entries(usageOf(i.machineType, i.guestAccelerators))) {
      if (held || m === 'INSTANCES') out[m] = (out[m] ?? 0) + n;
    }
  }
  return out;
}

export function exhausted(cloud: Cloud, project: string, zone: string): OperationError {
  const withDetails = cloud.faults.exhaustedWithDetails;
  return {
    code: withDetails ? 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS' : 'ZONE_RESOURCE_POOL_EXHAUSTED',
    message: `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`,
    httpStatus: 503,
  };
}

/**
 * How many of `want` instances (at least `min`) can start in the zone now, or the error that stops even `min`.
 * `restarting` is a stopped instance coming back: it already counts as an instance.
 */
export function fit(cloud: Cloud, zone: string, spec: Pick<InstanceSpec, 'guestAccelerators'> & { machineType: { name: string } }, want: number, min: number, restarting?: Instance): { n: number } | { error: OperationError } {
  const { project } = cloud.opts;
  const region = regionOf(zone) ?? '';
  const per = usageOf(spec.machineType.name, spec.guestAccelerators);
  if (restarting !== undefined) delete per.INSTANCES;
  const used = regionUsage(cloud, region);
  let byQuota = want;
  let binding: { metric: string; limit: number } | undefined;
  for (const [metric, n] of Object.entries(per)) {
    const limit = cloud.faults.quotas.get(`${metric}/${region}`);
    if (limit === undefined || n === 0) continue;
    const fits = Math.max(0, Math.floor((limit - (used[metric] ?? 0)) / n));
    if (fits < byQuota) {
      byQuota = fits;
      binding = { metric, limit };
    }
  }
  if (byQuota < min && binding !== undefined) {
    return {
      error: {
        code: 'QUOTA_EXCEEDED',
        message: `Quota '${binding.metric}' exceeded.  Limit: ${binding.limit.toFixed(1)} in region ${region}.`,
        httpStatus: 403,
        errorDetails: [{
          quotaInfo: { metricName: QUOTA_METRICS[binding.metric] ?? `compute.googleapis.com/${binding.metric.toLowerCase()}`, limitName: `${binding.metric}-per-project-region`, dimensions: { region }, limit: binding.limit },
        }],
      },
    };
  }
  const n = Math.min(byQuota, cloud.faults.capacityLeft(zone, spec.machineType.name), cloud.opts.pool.free());
  if (n < min) return { error: exhausted(cloud, project, zone) };
  return { n };
}
