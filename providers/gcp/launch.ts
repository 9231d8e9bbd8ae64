/**
 * One launch request as bulkInsert calls: one call per request in the first zone of the region with capacity.
 * Every call names its instances (derived from the request, zone and attempt) and carries a requestId UUID
 * derived the same way, so a call whose outcome is unknown (a 5xx, a timeout) is repeated as it was and GCE
 * answers with the first call's operation. Capacity errors arrive inside the zone operation: the request moves
 * to the next zone, then gives up with a CapacityError. A repeated launch of a request first counts what exists
 * of it and launches only the rest. The calls come in through `deps`.
 */
import { CapacityError, TransientProviderError } from '../errors.js';
import { classifyGcpError, classifyOperationError, providerError, toProviderError, type GcpErrorInfo } from './errors.js';
import { instanceNames, requestUuid } from './names.js';

export interface BulkCall {
  zone: string;
  names: string[];
  /** = count for a gang (all or nothing), else 1. */
  minCount: number;
  requestUuid: string;
}

/** A finished zone operation: its error, and how many instances it made. */
export interface BulkOutcome {
  error?: GcpErrorInfo;
  created: number;
}

export interface LaunchDeps {
  /** bulkInsert, then its zone operation awaited; throws the library's error when the call itself is refused. */
  bulkInsert(call: BulkCall): Promise<BulkOutcome>;
  /** Which of these names exist now (after a partial launch). */
  existing(zone: string, names: readonly string[]): Promise<string[]>;
  /** How many instances of the request exist now (listed, or launched and not listed yet). */
  have(): Promise<number>;
  /** The instances a call made, so listing counts them before the list shows them. */
  made(zone: string, names: readonly string[]): void;
  sleep(ms: number): Promise<void>;
}

/** What the provider keeps per request id between launch calls. */
export interface RequestState {
  calls: number;
  attempt: number;
  /** Zones that had no capacity are skipped by the request's later calls, until every one has failed. */
  zoneIndex: number;
}

export interface LaunchPlan {
  cluster: string;
  project: string;
  nodeType: string;
  requestId: string;
  count: number;
  gang: boolean;
  /** The configured zone first, then the region's others. */
  zones: readonly string[];
  what: string;
  onHead: boolean;
}

/** Repeats of a refused-for-now call (throttled, 5xx, no answer) before the launch gives up for now. */
export const CALL_RETRIES = 4;

export async function launchRequest(p: LaunchPlan, s: RequestState, d: LaunchDeps): Promise<number> {
  const repeated = s.calls++ > 0;
  let need = repeated ? p.count - (await d.have()) : p.count;
  let made = 0;
  let lastCapacity: GcpErrorInfo | undefined;
  while (need > 0 && s.zoneIndex < p.zones.length) {
    const zone = p.zones[s.zoneIndex] ?? '';
    const names = instanceNames(p.cluster, p.nodeType, p.requestId, zone, s.attempt, need);
    const call: BulkCall = { zone, names, minCount: p.gang ? need : 1, requestUuid: requestUuid(p.cluster, p.requestId, zone, s.attempt, need) };
    const outcome = await callRetrying(p, d, call);
    // Each call's names and UUID are its own: the next call of the request, here or in a later launch, is new.
    s.attempt++;
    const created = outcome.created === call.names.length ? call.names : outcome.created > 0 ? await d.existing(zone, call.names) : [];
    if (created.length > 0) d.made(zone, created);
    need -= created.length;
    made += created.length;
    if (outcome.error && outcome.error.kind !== 'capacity') throw providerError(outcome.error, { action: 'bulkInsert', what: `${p.what} in ${zone}`, project: p.project, onHead: p.onHead });
    if (outcome.error) lastCapacity = outcome.error;
    // No room for all of it here (GCE made fewer than asked, or none): the rest goes to the next zone.
    if (need > 0) s.zoneIndex++;
  }
  if (need > 0) {
    // Every zone refused: the next launch starts over from the first zone, and the autoscaler backs the type off.
    s.zoneIndex = 0;
    const last = lastCapacity ?? { kind: 'capacity' as const, status: 503, code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'no zone left' };
    throw new CapacityError(`Compute Engine has no capacity for ${need} of ${p.what} in ${p.zones.join(', ')}: ${last.code}: ${last.message}`, {
      reason: 'capacity', hint: 'raylaunch backs this node type off and tries again later; another machineType or region may have room',
    });
  }
  return made;
}

/** One bulkInsert with its repeats under the same requestId (so a repeat cannot launch twice). */
async function callRetrying(p: LaunchPlan, d: LaunchDeps, call: BulkCall): Promise<BulkOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await d.bulkInsert(call);
    } catch (e) {
      if (e instanceof CapacityError || e instanceof TransientProviderError) throw e;
      const info = classifyGcpError(e);
      const again = (info.kind === 'transient' || info.kind === 'unknown-outcome') && attempt < CALL_RETRIES - 1;
      if (!again) throw toProviderError(e, { action: 'bulkInsert', what: `${p.what} in ${call.zone}`, project: p.project, onHead: p.onHead });
      await d.sleep(250 * 2 ** attempt);
    }
  }
}

/** The outcome of a finished bulkInsert operation. */
export function bulkOutcome(op: {
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
  httpErrorStatusCode?: number | null;
  instancesBulkInsertOperationMetadata?: { perLocationStatus?: Record<string, { createdVmCount?: number | null }> | null } | null;
}, requested: number): BulkOutcome {
  const error = classifyOperationError(op);
  const per = Object.values(op.instancesBulkInsertOperationMetadata?.perLocationStatus ?? {});
  const created = per.length > 0 ? per.reduce((n, s) => n + (s.createdVmCount ?? 0), 0) : error ? 0 : requested;
  return { ...(error ? { error } : {}), created };
}
