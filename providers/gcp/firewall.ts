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

async function run(c: GcpClients, project: string, what: string, call: () => Promise<readonly unknown[]>): Promise<void> {
  const op = await awaitOperation(c, project, operationOf(await call()));
  const err = classifyOperationError(op);
  if (err && err.kind !== 'exists' && err.kind !== 'not-found') throw providerError(err, { action: what, project });
}

/** Rules created or checked at once: the cluster has two, and each waits for its own operation. */
export const FIREWALL_PARALLEL = 4;

/**
 * Creates the rules, or finds them; a rule that differs (another address) is replaced. The rules are handled in
 * parallel (each insert's operation takes seconds on GCE), their lines printed in the rules' order once all are done.
 */
export async function ensureFirewall(c: GcpClients, project: string, rules: readonly FirewallRule[], progress: (l: string) => void): Promise<void> {
  const lines = new Map<string, string>();
  await bounded(rules, FIREWALL_PARALLEL, async (rule) => {
    lines.set(rule.name, await ensureRule(c, project, rule));
  });
  for (const rule of rules) progress(lines.get(rule.name) ?? '');
}

/** One rule created, found, or replaced; resolves with the line that says which. */
async function ensureRule(c: GcpClients, project: string, rule: FirewallRule): Promise<string> {
  const have = await c.firewalls.get({ project, firewall: rule.name }).then(([f]) => f, (e: unknown) => {
    if (classifyGcpError(e).kind === 'not-found') return undefined;
    throw toProviderError(e, { action: 'firewalls.get', what: rule.name, project });
  });
  if (have && same(have.sourceRanges, rule.sourceRanges) && same(have.sourceTags, rule.sourceTags) && same(have.targetTags, rule.targetTags)) {
    return `firewall rule ${rule.name} found`;
  }
  try {
    if (have) await run(c, project, `firewalls.delete ${rule.name}`, () => c.firewalls.delete({ project, firewall: rule.name, requestId: requestUuid('fw-delete', project, rule.name, JSON.stringify(have.sourceRanges ?? [])) }));
    await run(c, project, `firewalls.insert ${rule.name}`, () => c.firewalls.insert({ project, firewallResource: rule, requestId: requestUuid('fw-insert', project, JSON.stringify(rule)) }));
  } catch (e) {
    throw toProviderError(e, { action: 'creating the firewall rule', what: rule.name, project });
  }
  return `firewall rule ${rule.name} ${have ? 'updated' : 'created'}: ${rule.sourceRanges ? `SSH from ${rule.sourceRanges.join(', ')} only` : 'all traffic between the cluster\'s nodes'}`;
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
