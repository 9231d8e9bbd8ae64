/**
 * One launch request as RunInstances calls: one call per request, in the first subnet (availability zone) with
 * capacity. Each call carries a ClientToken derived from the request, its subnet and a generation: a call whose
 * outcome is unknown (timeout, 5xx) is repeated with the same token, so EC2 answers with the reservation it may
 * already have made; after a definite failure the generation moves on, and the next launch of the request first
 * counts what exists of it (by its request id tag) and launches only the rest. The calls come in through `deps`.
 */
import { CapacityError, TransientProviderError } from '../errors.js';
import { classifyAwsError, toProviderError } from './errors.js';
import { clientToken } from './names.js';

export interface RunCall {
  subnetId: string | undefined;
  count: number;
  /** = count for a placement-group gang (all or nothing), else 1. */
  minCount: number;
  token: string;
}

export interface LaunchDeps {
  /** RunInstances; resolves with the new instance ids, throws the SDK's error. */
  run(call: RunCall): Promise<string[]>;
  /** How many instances of the request exist now (listed, or launched and not listed yet). */
  have(): Promise<number>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** What the provider keeps per request id between launch calls. */
export interface RequestState {
  /** launch calls made for the request before this one: a repeated request first counts what exists. */
  calls: number;
  generation: number;
  /** Subnets that had no capacity are skipped by the request's later calls, until every one has failed. */
  subnetIndex: number;
  /** The last call's outcome is unknown: it is repeated as it was, same token, before anything else. */
  pending?: RunCall;
}

export interface LaunchPlan {
  cluster: string;
  requestId: string;
  count: number;
  gang: boolean;
  /** In order of preference; [undefined] when node_config leaves the subnet to EC2 (NetworkInterfaces). */
  subnets: readonly (string | undefined)[];
  what: string;
  onHead: boolean;
}

/** Repeats of a call whose outcome is unknown, and of a throttled one, before the launch gives up for now. */
export const CALL_RETRIES = 3;
/** How long a fresh instance profile may stay unknown to EC2 (IAM propagation). */
export const IAM_PROPAGATION_MS = 60_000;

export async function launchRequest(p: LaunchPlan, s: RequestState, d: LaunchDeps): Promise<string[]> {
  const launched: string[] = [];
  const repeated = s.calls++ > 0;
  if (s.pending) {
    try {
      launched.push(...(await call(p, s, d, s.pending)));
    } catch (e) {
      if (s.pending) throw e; // still unknown; a definite failure goes on below, counting what exists
    }
  }
  let need = repeated ? p.count - (await d.have()) : p.count;
  let lastCapacity: unknown;
  const iamStart = d.now();
  while (need > 0 && s.subnetIndex < p.subnets.length) {
    const subnetId = p.subnets[s.subnetIndex];
    const c: RunCall = { subnetId, count: need, minCount: p.gang ? need : 1, token: clientToken(p.cluster, p.requestId, subnetId ?? '', s.generation) };
    try {
      const ids = await call(p, s, d, c);
      launched.push(...ids);
      need -= ids.length;
      // EC2 launched fewer than asked (MinCount 1): the rest goes to the next zone under its own token.
      if (need > 0) s.subnetIndex++;
    } catch (e) {
      const kind = classifyAwsError(e).kind;
      if (kind === 'capacity') {
        lastCapacity = e;
        s.subnetIndex++;
        continue;
      }
      if (kind === 'iam-propagation' && d.now() - iamStart < IAM_PROPAGATION_MS) {
        await d.sleep(2000);
        continue;
      }
      throw e instanceof CapacityError || e instanceof TransientProviderError ? e : toProviderError(e, { action: 'RunInstances', what: p.what, onHead: p.onHead });
    }
  }
  if (need > 0) {
    // Every subnet refused: the next attempt starts over from the first zone, and the autoscaler backs the type off.
    s.subnetIndex = 0;
    s.generation++;
    throw toProviderError(lastCapacity ?? new Error('no subnet left'), { action: 'RunInstances', what: p.what, onHead: p.onHead });
  }
  return launched;
}

/** One RunInstances call with its repeats; a definite failure moves the request to a new generation. */
async function call(p: LaunchPlan, s: RequestState, d: LaunchDeps, c: RunCall): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const ids = await d.run(c);
      delete s.pending;
      return ids;
    } catch (e) {
      const kind = classifyAwsError(e).kind;
      const retry = (kind === 'unknown-outcome' || kind === 'transient') && attempt < CALL_RETRIES - 1;
      if (retry) {
        await d.sleep(200 * 2 ** attempt);
        continue;
      }
      if (kind === 'unknown-outcome') {
        s.pending = c; // EC2 may have made it: the next launch of the request repeats this very call
        throw toProviderError(e, { action: 'RunInstances', what: p.what, onHead: p.onHead });
      }
      delete s.pending;
      s.generation++;
      throw e;
    }
  }
}
