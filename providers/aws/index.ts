/**
 * The AWS EC2 provider: the three calls (listNodes, launch, terminate) on EC2, plus prepare() for `up` (key pair,
 * security group, subnets, image, head role; prepare.ts) and cleanUp() for `down` (teardown.ts). It only provides:
 * setting nodes up is the updater's work, as for every provider.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Instance, RunInstancesCommandInput, TagSpecification } from '@aws-sdk/client-ec2';
import { ed25519KeyPair } from '../../src/common/ed25519.js';
import type { AwsProviderConfig, ClusterConfig } from '../../src/config/types.js';
import { ProviderConfigError } from '../errors.js';
import {
  CLUSTER_NAME_TAG, type CleansUpCluster, type CloudNode, type LaunchRequest, type NodeProvider, type PreparesCluster, type StopsNodes, validateLaunchRequest,
} from '../provider.js';
import { type Launched, withUnlisted } from '../unlisted.js';
import { classifyAwsError, toProviderError } from './errors.js';
import { toCloudNode } from './instances.js';
import { launchRequest, type RequestState, type RunCall } from './launch.js';
import { TAG } from './names.js';
import { prepareCluster } from './prepare.js';
import type { AwsClients } from './sdk.js';
import { cleanUpCluster } from './teardown.js';
import { type HostKey, userData } from './user-data.js';

export { loadAws } from './sdk.js';

export interface AwsProviderOptions {
  config: ClusterConfig;
  clients: AwsClients;
  stateDir: string;
  /** In the head's service (instance-profile credentials), not the CLI. */
  onHead: boolean;
  now?(): number;
  sleep?(ms: number): Promise<void>;
  /** DescribeInstances page size (EC2: 5–1000); tests make it small. */
  pageSize?: number;
}

/** TerminateInstances takes at most this many ids per call. */
export const TERMINATE_BATCH = 1000;

export function awsSection(config: ClusterConfig): AwsProviderConfig {
  if (config.provider.type !== 'aws') throw new ProviderConfigError(`a ${config.provider.type} provider section was given to the aws provider`);
  return config.provider;
}

export class AwsProvider implements NodeProvider, PreparesCluster, CleansUpCluster, StopsNodes {
  private config: ClusterConfig;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Instances this provider launched that EC2 may not list yet. */
  private launched = new Map<string, Launched>();
  /** Per request id: its token generation, zone progress, the call whose outcome is unknown, and its host key. */
  private readonly requests = new Map<string, RequestState & { hostKey: HostKey }>();
  /**
   * Stopped instances started again for a launch request (cache_stopped_nodes), by instance id: they are listed
   * under that request, as if launched by it, so the autoscaler sets them up and counts them for it. Kept here,
   * not as a tag: the head's policy lets it tag only the instances it creates.
   */
  private restarted = new Map<string, string>();

  constructor(private readonly o: AwsProviderOptions) {
    this.config = o.config;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => sleep(ms).then(() => undefined));
  }

  private get section(): AwsProviderConfig {
    return awsSection(this.config);
  }

  /** One paginated DescribeInstances by the cluster tag, every state included (stopped ones are nodes too). */
  async listNodes(): Promise<CloudNode[]> {
    const instances = await this.describe([{ Name: `tag:${CLUSTER_NAME_TAG}`, Values: [this.config.cluster_name] }]);
    const seen = new Set(instances.map((i) => i.InstanceId ?? ''));
    const listed = instances.map((i) => toCloudNode(i, this.section.use_internal_ips)).filter((n): n is CloudNode => n !== undefined);
    const { nodes, keep } = withUnlisted(listed, this.launched, this.now(), seen);
    this.launched = keep;
    this.restarted = new Map([...this.restarted].filter(([id]) => seen.has(id)));
    for (const n of nodes) {
      const requestId = this.restarted.get(n.id);
      if (requestId !== undefined) n.requestId = requestId;
    }
    return nodes;
  }

  async launch(req: LaunchRequest): Promise<void> {
    validateLaunchRequest(req);
    if (req.count === 0) return;
    const type = this.config.available_node_types[req.nodeType];
    if (!type) throw new ProviderConfigError(`launch of unknown node type ${req.nodeType}`, { hint: `available_node_types has ${Object.keys(this.config.available_node_types).join(', ')}` });
    const nc = type.node_config;
    let state = this.requests.get(req.requestId);
    if (!state) {
      const key = ed25519KeyPair();
      state = { calls: 0, generation: 0, subnetIndex: 0, hostKey: { private: key.private, public: key.public } };
      this.requests.set(req.requestId, state);
    }
    // cache_stopped_nodes: stopped workers of this type and launch hash are started before anything is created.
    const restarted = await this.startStopped(req);
    const count = req.count - restarted;
    if (count <= 0) return;
    const hostKey = state.hostKey;
    const tags: Record<string, string> = {
      Name: `raylaunch-${this.config.cluster_name}-${req.kind}`, ...req.tags, [CLUSTER_NAME_TAG]: this.config.cluster_name,
      [TAG.kind]: req.kind, [TAG.nodeType]: req.nodeType, [TAG.requestId]: req.requestId, [TAG.hostKey]: hostKey.public.trim().split(/\s+/).slice(0, 2).join(' '),
    };
    const subnets = subnetsOf(nc);
    const base = runInput(nc, tags, Buffer.from(userData(hostKey, typeof nc.UserData === 'string' ? nc.UserData : undefined)).toString('base64'));
    const what = `${count} × ${String(nc.InstanceType ?? '?')} (${req.nodeType})`;
    const ec2 = this.o.clients;
    const run = async (c: RunCall): Promise<string[]> => {
      const input: RunInstancesCommandInput = { ...base, MinCount: c.minCount, MaxCount: c.count, ClientToken: c.token, ...placeIn(base, c.subnetId) };
      const out = await ec2.ec2.send(new ec2.EC2.RunInstancesCommand(input));
      const at = this.now();
      const ids = (out.Instances ?? []).map((i) => i.InstanceId ?? '').filter((id) => id !== '');
      for (const i of out.Instances ?? []) {
        const node = i.InstanceId && toCloudNode({ ...i, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), State: { Name: 'pending' } }, this.section.use_internal_ips);
        if (node && !this.launched.has(node.id)) this.launched.set(node.id, { node, at });
      }
      return ids;
    };
    const have = async () => (await this.listNodes()).filter((n) => n.requestId === req.requestId && !this.restarted.has(n.id)).length;
    await launchRequest({
      cluster: this.config.cluster_name, requestId: req.requestId, count, gang: isGang(nc), subnets, what, onHead: this.o.onHead,
    }, state, { run, have, sleep: this.sleep, now: this.now });
  }

  /**
   * Starts stopped workers for a launch request (StartInstances), up to its count: those of its node type whose
   * tags match the request's (its launch hash: an outdated node is not reused). Returns how many of the
   * request's nodes are restarted ones, those of an earlier call of the same request included.
   */
  private async startStopped(req: LaunchRequest): Promise<number> {
    const mine = () => [...this.restarted.values()].filter((r) => r === req.requestId).length;
    if (!this.section.cache_stopped_nodes || req.kind !== 'worker' || isSpot(this.config.available_node_types[req.nodeType]?.node_config ?? {})) return mine();
    const want = req.count - mine();
    if (want <= 0) return mine();
    const stopped = (await this.listNodes()).filter((n) => n.status === 'stopped' && n.kind === 'worker' && n.nodeType === req.nodeType
      && Object.entries(req.tags ?? {}).every(([k, v]) => n.tags[k] === v)).slice(0, want);
    if (stopped.length === 0) return mine();
    const ids = stopped.map((n) => n.id);
    try {
      await this.o.clients.ec2.send(new this.o.clients.EC2.StartInstancesCommand({ InstanceIds: ids }));
    } catch (e) {
      throw toProviderError(e, { action: 'StartInstances', what: `${ids.length} stopped ${req.nodeType}`, onHead: this.o.onHead });
    }
    for (const id of ids) this.restarted.set(id, req.requestId);
    return mine();
  }

  /**
   * cache_stopped_nodes: StopInstances for on-demand workers, so a later launch starts them again; spot instances
   * cannot be stopped for reuse and are terminated.
   */
  async stop(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const instances = await this.describe([{ Name: 'instance-id', Values: unique }]);
    const spot = new Set(instances.filter((i) => i.InstanceLifecycle === 'spot').map((i) => i.InstanceId ?? ''));
    const toStop = unique.filter((id) => !spot.has(id));
    if (spot.size > 0) await this.terminate([...spot]);
    for (let i = 0; i < toStop.length; i += TERMINATE_BATCH) {
      const batch = toStop.slice(i, i + TERMINATE_BATCH);
      try {
        await this.o.clients.ec2.send(new this.o.clients.EC2.StopInstancesCommand({ InstanceIds: batch }));
      } catch (e) {
        throw toProviderError(e, { action: 'StopInstances', what: `${batch.length} instances`, onHead: this.o.onHead });
      }
      for (const id of batch) {
        this.launched.delete(id);
        this.restarted.delete(id);
      }
    }
  }

  /** TerminateInstances in batches of at most 1,000 ids; ids already gone are fine. */
  async terminate(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += TERMINATE_BATCH) {
      const batch = unique.slice(i, i + TERMINATE_BATCH);
      try {
        await this.o.clients.ec2.send(new this.o.clients.EC2.TerminateInstancesCommand({ InstanceIds: batch }));
      } catch (e) {
        if (!/^InvalidInstanceID\.(NotFound|Malformed)$/.test(classifyAwsError(e).code)) throw toProviderError(e, { action: 'TerminateInstances', what: `${batch.length} instances`, onHead: this.o.onHead });
        // Some ids are gone: the rest one by one, so one stale id does not keep the others running.
        for (const id of batch) await this.terminateOne(id);
      }
      for (const id of batch) this.launched.delete(id);
    }
  }

  private async terminateOne(id: string): Promise<void> {
    try {
      await this.o.clients.ec2.send(new this.o.clients.EC2.TerminateInstancesCommand({ InstanceIds: [id] }));
    } catch (e) {
      if (!/^InvalidInstanceID\./.test(classifyAwsError(e).code)) throw toProviderError(e, { action: 'TerminateInstances', what: id, onHead: this.o.onHead });
    }
  }

  async prepare(config: ClusterConfig, progress: (line: string) => void = () => undefined): Promise<ClusterConfig> {
    this.config = await prepareCluster(config, { clients: this.o.clients, stateDir: this.o.stateDir, progress });
    return this.config;
  }

  cleanUp(progress: (line: string) => void = () => undefined): Promise<string[]> {
    return cleanUpCluster(this.config, { clients: this.o.clients, progress, sleep: this.sleep, now: this.now, listNodes: () => this.listNodes() });
  }

  close(): void {
    this.o.clients.destroy();
  }

  /** Every instance matching the filters, page by page. */
  async describe(filters: { Name: string; Values: string[] }[]): Promise<Instance[]> {
    const { EC2, ec2 } = this.o.clients;
    const out: Instance[] = [];
    try {
      for await (const page of EC2.paginateDescribeInstances({ client: ec2, pageSize: this.o.pageSize ?? 1000 }, { Filters: filters })) {
        for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
      }
    } catch (e) {
      throw toProviderError(e, { action: 'DescribeInstances', what: `cluster ${this.config.cluster_name}`, onHead: this.o.onHead });
    }
    return out;
  }
}

/** Ray's SubnetIds list (tried in order), or the single SubnetId; [undefined] when EC2 picks (NetworkInterfaces). */
function subnetsOf(nc: Record<string, unknown>): (string | undefined)[] {
  if (Array.isArray(nc.SubnetIds) && nc.SubnetIds.length > 0) return nc.SubnetIds.map(String);
  if (typeof nc.SubnetId === 'string') return [nc.SubnetId];
  return [undefined];
}

const isSpot = (nc: Record<string, unknown>) => (nc.InstanceMarketOptions as { MarketType?: unknown } | undefined)?.MarketType === 'spot';

const isGang = (nc: Record<string, unknown>) => typeof (nc.Placement as { GroupName?: unknown } | undefined)?.GroupName === 'string';

/** node_config as RunInstances input: raylaunch's tags joined to the user's, on the instances and their volumes. */
function runInput(nc: Record<string, unknown>, tags: Record<string, string>, userDataB64: string): RunInstancesCommandInput {
  const { SubnetIds: _ids, SubnetId: _id, UserData: _ud, TagSpecifications: own, ...rest } = nc;
  const ours = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  const specs = new Map<string, { Key: string; Value: string }[]>([['instance', []], ['volume', []]]);
  for (const s of (Array.isArray(own) ? own : []) as TagSpecification[]) {
    const list = specs.get(s.ResourceType ?? '') ?? [];
    specs.set(s.ResourceType ?? '', [...list, ...(s.Tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }))]);
  }
  const TagSpecifications = [...specs].map(([type, userTags]) => ({
    ResourceType: type as TagSpecification['ResourceType'],
    // raylaunch's own tags win: they are what listing, the head's policy and `down` rely on.
    Tags: ['instance', 'volume'].includes(type) ? [...userTags.filter((t) => !(t.Key in tags)), ...ours] : userTags,
  }));
  return { ...(rest as Partial<RunInstancesCommandInput>), UserData: userDataB64, TagSpecifications, MinCount: 1, MaxCount: 1 };
}

/** The subnet of one call: on the first network interface when node_config declares them, else SubnetId. */
function placeIn(base: RunInstancesCommandInput, subnetId: string | undefined): Partial<RunInstancesCommandInput> {
  if (subnetId === undefined) return {};
  const [first, ...others] = base.NetworkInterfaces ?? [];
  if (first) return { NetworkInterfaces: [{ ...first, SubnetId: subnetId }, ...others] };
  return { SubnetId: subnetId };
}
