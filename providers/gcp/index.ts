/**
 * The GCP Compute Engine provider: the three calls (listNodes, launch, terminate) on Compute Engine, plus prepare()
 * for `up` (firewall rules, image, SSH key, resources; prepare.ts) and cleanUp() for `down`. It only provides:
 * setting nodes up is the updater's work, as for every provider.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterConfig } from '../../src/config/types.js';
import { ProviderConfigError } from '../errors.js';
import {
  CLUSTER_NAME_TAG, type CleansUpCluster, type CloudNode, type LaunchRequest, type NodeProvider, type PreparesCluster, type StopsNodes, validateLaunchRequest,
} from '../provider.js';
import { withUnlisted } from '../unlisted.js';
import { bounded } from './bounded.js';
import { classifyGcpError, toProviderError } from './errors.js';
import { deleteFirewall, remainingFirewall } from './firewall.js';
import { hostKeyLine, type InstanceView, type Launched, toCloudNode, zoneOf } from './instances.js';
import { bulkOutcome, launchRequest, type RequestState } from './launch.js';
import { LABEL, labelKey, labelValue, META, networkTag, requestUuid } from './names.js';
import { instanceProperties, machineTypeName } from './node-config.js';
import { awaitOperation, operationOf } from './operations.js';
import { gcpSection, prepareCluster } from './prepare.js';
import { type GcpClients, paged } from './sdk.js';

export { loadGcp, COMPUTE_ENDPOINT_VAR } from './sdk.js';
export { gcpSection } from './prepare.js';

export interface GcpProviderOptions {
  config: ClusterConfig;
  clients: GcpClients;
  stateDir: string;
  /** In the head's service (the metadata server's credentials), not the CLI. */
  onHead: boolean;
  now?(): number;
  sleep?(ms: number): Promise<void>;
  /** aggregatedList page size (GCE: up to 500); tests make it small. */
  pageSize?: number;
}

/** Deletes and guest-attribute reads in flight at once. */
export const PARALLEL = 8;

export class GcpProvider implements NodeProvider, PreparesCluster, CleansUpCluster, StopsNodes {
  private config: ClusterConfig;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private launched = new Map<string, Launched>();
  private readonly requests = new Map<string, RequestState>();
  /** Where each known instance lives: deletes and guest attributes are zonal calls. */
  private readonly zones = new Map<string, string>();
  /** Host keys read from guest attributes, per instance name and id (a name reused by a new VM is asked again). */
  private readonly hostKeys = new Map<string, string>();
  private regionZones: string[] | undefined;
  private firewallSettled: Promise<void> = Promise.resolve();
  /**
   * Stopped instances started again for a launch request (cache_stopped_nodes), by name: listed under that
   * request, as if launched by it, so the autoscaler sets them up and counts them for it (their own labels still
   * name the request that created them).
   */
  private restarted = new Map<string, string>();

  constructor(private readonly o: GcpProviderOptions) {
    this.config = o.config;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => sleep(ms).then(() => undefined));
  }

  private get section() {
    return gcpSection(this.config);
  }

  private get clusterLabel(): string {
    return labelValue(this.config.cluster_name);
  }

  /** One filtered aggregatedList by the cluster label over the region's zones, stopped and suspended VMs included. */
  async listNodes(): Promise<CloudNode[]> {
    const views = await this.regional();
    for (const i of views) this.zones.set(i.name ?? '', zoneOf(i));
    await this.readHostKeys(views);
    const listed = views.map((i) => toCloudNode(i, { useInternalIps: this.section.use_internal_ips, hostKey: this.hostKeys.get(`${i.name ?? ''}#${String(i.id ?? '')}`) }))
      .filter((n): n is CloudNode => n !== undefined);
    const { nodes, keep } = withUnlisted(listed, this.launched, this.now());
    this.launched = keep;
    const seen = new Set(views.map((i) => i.name ?? ''));
    this.restarted = new Map([...this.restarted].filter(([name]) => seen.has(name)));
    for (const n of nodes) {
      const requestId = this.restarted.get(n.id);
      if (requestId !== undefined) n.requestId = requestId;
    }
    return nodes;
  }

  /** The cluster's instances in the region, as aggregatedList gives them. */
  private async regional(): Promise<InstanceView[]> {
    return (await this.aggregated()).filter((i) => zoneOf(i).startsWith(`${this.section.region}-`));
  }

  private async aggregated(): Promise<InstanceView[]> {
    const out: InstanceView[] = [];
    const { project_id: project } = this.section;
    try {
      const pages = this.o.clients.instances.aggregatedListAsync({
        project, filter: `labels.${CLUSTER_NAME_TAG} = "${this.clusterLabel}"`, returnPartialSuccess: true, ...(this.o.pageSize ? { maxResults: this.o.pageSize } : {}),
      }, paged());
      for await (const [, scoped] of pages) out.push(...((scoped.instances ?? []) as InstanceView[]));
    } catch (e) {
      throw toProviderError(e, { action: 'instances.aggregatedList', what: `cluster ${this.config.cluster_name}`, project, onHead: this.o.onHead });
    }
    return out;
  }

  /**
   * The host keys of RUNNING instances not read yet, from their `hostkeys/` guest attributes, which only the
   * instance's guest agent can write. Until they are published the node stays pending.
   */
  private async readHostKeys(views: readonly InstanceView[]): Promise<void> {
    const todo = views.filter((i) => i.status === 'RUNNING' && !this.hostKeys.has(`${i.name ?? ''}#${String(i.id ?? '')}`));
    await bounded(todo, PARALLEL, async (i) => {
      try {
        const [ga] = await this.o.clients.instances.getGuestAttributes({ project: this.section.project_id, zone: zoneOf(i), instance: i.name ?? '', queryPath: 'hostkeys/' });
        const line = hostKeyLine(ga.queryValue?.items ?? []);
        if (line) this.hostKeys.set(`${i.name ?? ''}#${String(i.id ?? '')}`, line);
      } catch (e) {
        const kind = classifyGcpError(e).kind;
        // Not published yet (404), or guest attributes off (400): the node stays pending; the rest is the caller's.
        if (kind !== 'not-found' && kind !== 'config') throw toProviderError(e, { action: 'instances.getGuestAttributes', what: i.name ?? '', project: this.section.project_id, onHead: this.o.onHead });
      }
    });
  }

  /** The configured zone first, then the region's other zones (where failover puts nodes). */
  private async zonesOfRegion(): Promise<string[]> {
    if (!this.regionZones) {
      const { project_id: project, region, availability_zone: zone } = this.section;
      const [r] = await this.o.clients.regions.get({ project, region }).catch((e: unknown) => {
        throw toProviderError(e, { action: 'regions.get', what: region, project, onHead: this.o.onHead });
      });
      const all = (r.zones ?? []).map((z) => z.split('/').pop() ?? '').filter((z) => z !== '').sort();
      this.regionZones = [zone, ...all.filter((z) => z !== zone)];
    }
    return this.regionZones;
  }

  async launch(req: LaunchRequest): Promise<void> {
    validateLaunchRequest(req);
    if (req.count === 0) return;
    const type = this.config.available_node_types[req.nodeType];
    if (!type) throw new ProviderConfigError(`launch of unknown node type ${req.nodeType}`, { hint: `available_node_types has ${Object.keys(this.config.available_node_types).join(', ')}` });
    const p = this.section;
    const nc = type.node_config;
    // cache_stopped_nodes: stopped workers of this type and launch hash are started before anything is created.
    const count = req.count - await this.startStopped(req);
    if (count <= 0) return;
    const tags: Record<string, string> = { ...req.tags, [CLUSTER_NAME_TAG]: this.config.cluster_name, [LABEL.kind]: req.kind, [LABEL.nodeType]: req.nodeType, [LABEL.requestId]: req.requestId };
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) {
      const key = labelKey(k);
      if (key) labels[key] = labelValue(v);
    }
    const props = instanceProperties(req.nodeType, nc, {
      labels, networkTag: networkTag(this.config.cluster_name), keepStopped: p.cache_stopped_nodes,
      metadata: { 'enable-guest-attributes': 'TRUE', [META.nodeType]: req.nodeType, [META.requestId]: req.requestId, [META.tags]: JSON.stringify(tags) },
    });
    let state = this.requests.get(req.requestId);
    if (!state) {
      state = { calls: 0, attempt: 0, zoneIndex: 0 };
      this.requests.set(req.requestId, state);
    }
    const project = p.project_id;
    const what = `${count} × ${machineTypeName(nc)} (${req.nodeType})`;
    const c = this.o.clients;
    const template = toCloudNode({ name: 'x', status: 'PROVISIONING', labels, metadata: props.metadata as InstanceView['metadata'] }, { useInternalIps: p.use_internal_ips });
    await launchRequest({
      cluster: this.config.cluster_name, project, nodeType: req.nodeType, requestId: req.requestId, count,
      // A compact placement policy asks for nodes together: all of them or none.
      gang: nc.resourcePolicies !== undefined, zones: await this.zonesOfRegion(), what, onHead: this.o.onHead,
    }, state, {
      bulkInsert: async (call) => {
        const res = await c.instances.bulkInsert({
          project, zone: call.zone, requestId: call.requestUuid,
          bulkInsertInstanceResourceResource: {
            count: call.names.length, minCount: call.minCount, instanceProperties: props,
            perInstanceProperties: Object.fromEntries(call.names.map((n) => [n, {}])),
          },
        });
        const op = await awaitOperation(c, project, operationOf(res), call.zone);
        return bulkOutcome(op, call.names.length);
      },
      existing: async (zone, names) => {
        const found: string[] = [];
        await bounded(names, PARALLEL, async (n) => {
          const ok = await c.instances.get({ project, zone, instance: n }).then(() => true, (e: unknown) => {
            if (classifyGcpError(e).kind === 'not-found') return false;
            throw toProviderError(e, { action: 'instances.get', what: n, project, onHead: this.o.onHead });
          });
          if (ok) found.push(n);
        });
        return found;
      },
      have: async () => (await this.listNodes()).filter((n) => n.requestId === req.requestId && !this.restarted.has(n.id)).length,
      made: (zone, names) => {
        const at = this.now();
        for (const n of names) {
          this.zones.set(n, zone);
          if (template && !this.launched.has(n)) this.launched.set(n, { node: { ...template, id: n, tags: { ...template.tags } }, zone, at });
        }
      },
      sleep: this.sleep,
    });
  }

  /**
   * Starts stopped (TERMINATED) workers for a launch request, up to its count: those of its node type whose tags
   * match the request's (its launch hash: an outdated node is not reused), each start's operation awaited: Spot
   * and preemptible ones too, whether raylaunch stopped them or GCE took them back. Returns how many of the request's nodes are restarted ones, those of
   * an earlier call of the same request included.
   */
  private async startStopped(req: LaunchRequest): Promise<number> {
    const mine = () => [...this.restarted.values()].filter((r) => r === req.requestId).length;
    if (!this.section.cache_stopped_nodes || req.kind !== 'worker') return mine();
    const want = req.count - mine();
    if (want <= 0) return mine();
    const useInternalIps = this.section.use_internal_ips;
    const stopped = (await this.regional()).filter((i) => i.status === 'TERMINATED' && !this.restarted.has(i.name ?? '')).filter((i) => {
      const n = toCloudNode(i, { useInternalIps });
      return n !== undefined && n.kind === 'worker' && n.nodeType === req.nodeType && Object.entries(req.tags ?? {}).every(([k, v]) => n.tags[k] === v);
    }).slice(0, want);
    const project = this.section.project_id;
    await bounded(stopped, PARALLEL, async (i) => {
      const name = i.name ?? '';
      const zone = zoneOf(i);
      try {
        // Derived from the request: a retried launch repeats the start, and GCE answers with the first operation.
        const res = await this.o.clients.instances.start({ project, zone, instance: name, requestId: requestUuid('start', project, zone, name, String(i.id ?? ''), req.requestId) });
        const op = await awaitOperation(this.o.clients, project, operationOf(res), zone);
        const err = op.error?.errors?.[0];
        // No capacity for it in its zone (or any other refusal): it stays stopped, and the request creates instead.
        if (err) return;
      } catch (e) {
        throw toProviderError(e, { action: 'instances.start', what: name, project, onHead: this.o.onHead });
      }
      this.zones.set(name, zone);
      this.restarted.set(name, req.requestId);
    });
    return mine();
  }

  /**
   * cache_stopped_nodes: instances.stop, so a later launch of the same type starts them again (Spot and preemptible
   * ones too: they were launched to be kept stopped, as GCE keeps them when it takes them back).
   */
  async stop(ids: string[]): Promise<void> {
    const unique = new Set(ids);
    if (unique.size === 0) return;
    const views = (await this.regional()).filter((i) => unique.has(i.name ?? ''));
    for (const i of views) this.zones.set(i.name ?? '', zoneOf(i));
    const project = this.section.project_id;
    await bounded(views, PARALLEL, async (i) => {
      const name = i.name ?? '';
      try {
        // A fresh id per stop: the same instance is stopped again after each reuse.
        await this.o.clients.instances.stop({ project, zone: zoneOf(i), instance: name, requestId: randomUUID() });
      } catch (e) {
        if (classifyGcpError(e).kind !== 'not-found') throw toProviderError(e, { action: 'instances.stop', what: name, project, onHead: this.o.onHead });
      }
      this.launched.delete(name);
      this.restarted.delete(name);
    });
  }

  /** Deletes in parallel (a bound in flight); names already gone, or of no instance of this cluster, are fine. */
  async terminate(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.some((id) => !this.zones.has(id))) await this.listNodes();
    const project = this.section.project_id;
    await bounded(unique.filter((id) => this.zones.has(id)), PARALLEL, async (id) => {
      try {
        await this.o.clients.instances.delete({ project, zone: this.zones.get(id) ?? '', instance: id, requestId: requestUuid('delete', project, id, this.zones.get(id) ?? '') });
      } catch (e) {
        if (classifyGcpError(e).kind !== 'not-found') throw toProviderError(e, { action: 'instances.delete', what: id, project, onHead: this.o.onHead });
      }
      this.launched.delete(id);
    });
  }

  async prepare(config: ClusterConfig, progress: (line: string) => void = () => undefined): Promise<ClusterConfig> {
    const prepared = await prepareCluster(config, { clients: this.o.clients, stateDir: this.o.stateDir, progress });
    this.config = prepared.config;
    this.firewallSettled = prepared.settled;
    return this.config;
  }

  /** The firewall rules' operations that prepare() left running (the head boots meanwhile). */
  async settled(): Promise<void> {
    await this.firewallSettled;
  }

  /**
   * `down`'s last step, once every instance is deleted: the firewall rules, then everything still labelled with the
   * cluster (instances in any state, stopped ones too) and the rules, named.
   */
  async cleanUp(progress: (line: string) => void = () => undefined): Promise<string[]> {
    const project = this.section.project_id;
    try {
      // A deleted VM is STOPPING for a while, and GCE refuses to delete a rule nothing uses no sooner: wait it out.
      const deadline = this.now() + 180_000;
      for (let i = 0; (await this.listNodes()).some((n) => n.status === 'stopping') && this.now() < deadline; i++) await this.sleep(Math.min(500 * 2 ** i, 5000));
      await deleteFirewall(this.o.clients, project, this.config.cluster_name, progress);
      const left: string[] = [];
      for (const i of await this.aggregated()) left.push(`instance ${i.name ?? ''} in ${zoneOf(i)} (${i.status ?? ''})`);
      for (const f of await remainingFirewall(this.o.clients, project, this.config.cluster_name)) left.push(`firewall rule ${f}`);
      return left;
    } catch (e) {
      throw toProviderError(e, { action: 'cleaning up', what: `cluster ${this.config.cluster_name}`, project });
    }
  }

  close(): Promise<void> {
    return this.o.clients.close();
  }
}
