/**
 * prepare()'s network step: two firewall rules on the cluster's network tag, SSH only from this machine's address
 * (or raylaunch.ssh_ingress_cidr) and all traffic between the cluster's own nodes, nothing else. Each `up` puts the
 * SSH rule back to the current address. `down` deletes both by name.
 */
import { bounded } from './bounded.js';
import { classifyGcpError, toProviderError } from './errors.js';
import { firewallNames, requestUuid } from './names.js';
import { awaitOperation, operationOf } from './operations.js';
import { type GcpClients, paged } from './sdk.js';
import { classifyOperationError, providerError } from './errors.js';

export interface FirewallRule {
  name: string;
  description: string;
  network: string;
  direction: 'INGRESS';
  priority: number;
  sourceRanges?: string[];
  sourceTags?: string[];
  targetTags: string[];
  allowed: { IPProtocol: string; ports?: string[] }[];
}

/** The cluster's two rules. Pure. */
export function clusterRules(cluster: string, network: string, tag: string, cidr: string): FirewallRule[] {
  const names = firewallNames(cluster);
  return [
    {
      name: names.ssh, description: `raylaunch cluster ${cluster}: SSH from the operator`, network, direction: 'INGRESS', priority: 1000,
      sourceRanges: [cidr], targetTags: [tag], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
    },
    {
      name: names.internal, description: `raylaunch cluster ${cluster}: all traffic between its nodes`, network, direction: 'INGRESS', priority: 1000,
      sourceTags: [tag], targetTags: [tag], allowed: [{ IPProtocol: 'tcp' }, { IPProtocol: 'udp' }, { IPProtocol: 'icmp' }],
    },
  ];
}

const same = (a: readonly string[] | null | undefined, b: readonly string[] | undefined) => JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/** Waits for a call's global operation; a rule that exists already (insert) or is gone already (delete) is fine. */
async function finish(c: GcpClients, project: string, what: string, accepted: readonly unknown[]): Promise<void> {
  const op = await awaitOperation(c, project, operationOf(accepted));
  const err = classifyOperationError(op);
  if (err && err.kind !== 'exists' && err.kind !== 'not-found') throw providerError(err, { action: what, project });
}

async function run(c: GcpClients, project: string, what: string, call: () => Promise<readonly unknown[]>): Promise<void> {
  await finish(c, project, what, await call());
}

/** Rules created or checked at once: the cluster has two, and each waits for its own operation. */
export const FIREWALL_PARALLEL = 4;

/**
 * Creates the rules, or finds them; a rule that differs (another address) is replaced. Resolves once GCE has
 * accepted every call (a refused one, such as a missing permission, fails here), with `settled`: the calls'
 * operations, seconds each on GCE, finish behind it, so `up` launches the head meanwhile and waits for them only
 * before its first connection. Their lines are printed, in the rules' order, once all are done.
 */
export async function ensureFirewall(c: GcpClients, project: string, rules: readonly FirewallRule[], progress: (l: string) => void): Promise<{ settled: Promise<void> }> {
  const done = new Map<string, Promise<string>>();
  await bounded(rules, FIREWALL_PARALLEL, async (rule) => {
    done.set(rule.name, (await ensureRule(c, project, rule)).done);
  });
  const settled = Promise.all(rules.map((r) => done.get(r.name) ?? Promise.resolve(''))).then((lines) => {
    for (const l of lines) progress(l);
  });
  // Its caller awaits it later; until then a failure must not count as an unhandled rejection.
  settled.catch(() => undefined);
  return { settled };
}

/**
 * One rule found, created or replaced. Resolves once GCE has taken the call, with `done`: the wait for its
 * operation, which resolves with the line that says what was done. (An object, since a promise would be awaited too.)
 */
async function ensureRule(c: GcpClients, project: string, rule: FirewallRule): Promise<{ done: Promise<string> }> {
  const have = await c.firewalls.get({ project, firewall: rule.name }).then(([f]) => f, (e: unknown) => {
    if (classifyGcpError(e).kind === 'not-found') return undefined;
    throw toProviderError(e, { action: 'firewalls.get', what: rule.name, project });
  });
  if (have && same(have.sourceRanges, rule.sourceRanges) && same(have.sourceTags, rule.sourceTags) && same(have.targetTags, rule.targetTags)) {
    return { done: Promise.resolve(`firewall rule ${rule.name} found`) };
  }
  const failed = (e: unknown): never => { throw toProviderError(e, { action: 'creating the firewall rule', what: rule.name, project }); };
  const line = `firewall rule ${rule.name} ${have ? 'updated' : 'created'}: ${rule.sourceRanges ? `SSH from ${rule.sourceRanges.join(', ')} only` : 'all traffic between the cluster\'s nodes'}`;
  const insert = () => c.firewalls.insert({ project, firewallResource: rule, requestId: requestUuid('fw-insert', project, JSON.stringify(rule)) });
  let pending: Promise<void>;
  if (have) {
    // A name is unique: the old rule's delete has to finish before the insert, so both wait behind.
    const remove = () => c.firewalls.delete({ project, firewall: rule.name, requestId: requestUuid('fw-delete', project, rule.name, JSON.stringify(have.sourceRanges ?? [])) });
    pending = (async () => {
      await run(c, project, `firewalls.delete ${rule.name}`, remove);
      await run(c, project, `firewalls.insert ${rule.name}`, insert);
    })();
  } else {
    const accepted = await insert().catch(failed);
    pending = finish(c, project, `firewalls.insert ${rule.name}`, accepted);
  }
  const done = pending.then(() => line, failed);
  done.catch(() => undefined); // awaited through ensureFirewall's `settled`
  return { done };
}

/** Deletes the cluster's rules (gone already is fine). */
export async function deleteFirewall(c: GcpClients, project: string, cluster: string, progress: (l: string) => void): Promise<void> {
  for (const name of Object.values(firewallNames(cluster))) {
    try {
      await run(c, project, `firewalls.delete ${name}`, () => c.firewalls.delete({ project, firewall: name }));
      progress(`firewall rule ${name} deleted`);
    } catch (e) {
      if (classifyGcpError(e).kind !== 'not-found') throw toProviderError(e, { action: 'firewalls.delete', what: name, project });
    }
  }
}

/** The cluster's rules that still exist. */
export async function remainingFirewall(c: GcpClients, project: string, cluster: string): Promise<string[]> {
  const names = Object.values(firewallNames(cluster));
  const left: string[] = [];
  for await (const f of c.firewalls.listAsync({ project }, paged())) if (f.name && names.includes(f.name)) left.push(f.name);
  return left;
}
