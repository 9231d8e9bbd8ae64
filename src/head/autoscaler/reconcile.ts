import type { CloudNode } from '../../common/cloud-node.js';
import { type Instance, transition, TRANSITIONS } from './instance-state.js';

export interface ReconcileInput {
  instances: readonly Instance[];
  /** What the provider lists now (this cluster's workers). */
  cloud: readonly CloudNode[];
  /** Node ids alive in the GCS (registered agents). */
  registered: ReadonlySet<string>;
  /** Node ids the GCS knows and has marked dead. */
  dead: ReadonlySet<string>;
  now: number;
  startTimeoutMs: number;
}

export interface ReconcileOutput {
  instances: Instance[];
  /** Nodes to terminate because they never registered in time. */
  neverRegistered: string[];
}

const FORGET_AFTER_MS = 10 * 60_000;

/**
 * Makes the instance table agree with the world: nodes the provider lists are allocated (or adopted, when no
 * instance knows them: launched before this head, or by hand), registered ones running, vanished ones
 * terminated; nodes that never register within the start timeout (setup included) are given up on. Pure.
 */
export function reconcile(input: ReconcileInput): ReconcileOutput {
  const { now } = input;
  const listed = new Map(input.cloud.filter((n) => n.kind === 'worker').map((n) => [n.id, n]));
  const out: Instance[] = [];
  const neverRegistered: string[] = [];
  const matched = new Set<string>();
  for (let i of input.instances) {
    if (i.nodeId === undefined && i.state === 'requested') {
      const node = [...listed.values()].find((n) => n.requestId === i.requestId && !matched.has(n.id) && !input.instances.some((x) => x.nodeId === n.id && x.state !== 'terminated'));
      if (node) {
        i = { ...transition(i, 'allocated', now, 'the provider lists it'), id: node.id, nodeId: node.id };
      } else if (now - i.since > input.startTimeoutMs) {
        i = transition(i, 'terminated', now, `nothing appeared within ${input.startTimeoutMs / 1000} s`);
      }
    }
    const nodeId = i.nodeId;
    if (nodeId !== undefined) {
      matched.add(nodeId);
      const present = listed.has(nodeId);
      if (!present && 'terminated' in TRANSITIONS[i.state]) {
        i = transition(i, 'terminated', now, 'the provider no longer lists it');
      } else if (present && (i.state === 'allocated' || i.state === 'setting-up') && input.registered.has(nodeId)) {
        i = transition(i, 'running', now, 'its agent registered');
      } else if (present && (i.state === 'allocated' || i.state === 'setting-up') && now - i.since > input.startTimeoutMs) {
        i = transition(i, 'terminating', now, `it did not register within ${input.startTimeoutMs / 1000} s`);
        neverRegistered.push(nodeId);
      } else if (present && i.state === 'running' && input.dead.has(nodeId)) {
        i = transition(i, 'terminating', now, 'its agent died');
        neverRegistered.push(nodeId);
      }
    }
    // A terminated instance no longer claims its node id: a host pool may list the same id again for a new node.
    if (i.state === 'terminated') matched.delete(i.nodeId ?? '');
    if (i.state === 'terminated' && now - i.since > FORGET_AFTER_MS) continue;
    out.push(i);
  }
  for (const node of listed.values()) {
    if (matched.has(node.id)) continue;
    const adopted: Instance = {
      id: node.id, nodeType: node.nodeType, requestId: node.requestId ?? '', nodeId: node.id, state: 'allocated', since: now,
      history: [{ state: 'allocated', at: now, reason: 'adopted: listed by the provider, launched before this head or by hand' }],
    };
    out.push(input.registered.has(node.id) ? transition(adopted, 'running', now, 'its agent is registered') : adopted);
  }
  return { instances: out, neverRegistered };
}
