import { CapacityError, ProviderAuthError, ProviderConfigError, TransientProviderError } from '../errors.js';
import { CLUSTER_NAME_TAG, type CloudNode, type LaunchRequest, type NodeProvider } from '../provider.js';

/** An error the next launch (or list, or terminate) will throw, by class. */
export type InjectedError = 'capacity' | 'quota' | 'auth' | 'config' | 'transient';

/**
 * An in-memory provider for tests: nodes appear at launch (pending until `start()`), keep a call log, and the
 * next call can be made to fail with any error class the autoscaler must handle.
 */
export class FakeProvider implements NodeProvider {
  readonly nodes = new Map<string, CloudNode>();
  readonly calls: string[] = [];
  private next: { op: 'launch' | 'list' | 'terminate'; error: InjectedError; nodeType?: string }[] = [];
  private seq = 0;

  constructor(private readonly clusterName = 'fake') {}

  /** The next call of `op` (for launch: of that node type, if given) throws this error. */
  failNext(op: 'launch' | 'list' | 'terminate', error: InjectedError, nodeType?: string): void {
    this.next.push({ op, error, ...(nodeType ? { nodeType } : {}) });
  }

  private maybeFail(op: 'launch' | 'list' | 'terminate', nodeType?: string): void {
    const i = this.next.findIndex((n) => n.op === op && (n.nodeType === undefined || n.nodeType === nodeType));
    if (i < 0) return;
    const [n] = this.next.splice(i, 1);
    switch (n?.error) {
      case 'capacity': throw new CapacityError(`no capacity for ${nodeType ?? 'nodes'}`, { reason: 'capacity' });
      case 'quota': throw new CapacityError(`quota exceeded for ${nodeType ?? 'nodes'}`, { reason: 'quota' });
      case 'auth': throw new ProviderAuthError('credentials rejected', { hint: 'renew them' });
      case 'config': throw new ProviderConfigError('image not found', { hint: 'fix node_config' });
      case 'transient': throw new TransientProviderError('throttled');
      default:
    }
  }

  async listNodes(): Promise<CloudNode[]> {
    this.calls.push('list');
    this.maybeFail('list');
    return [...this.nodes.values()].map((n) => ({ ...n, tags: { ...n.tags } }));
  }

  async launch(req: LaunchRequest): Promise<void> {
    this.calls.push(`launch ${req.nodeType} ${req.count} ${req.requestId}`);
    this.maybeFail('launch', req.nodeType);
    const have = [...this.nodes.values()].filter((n) => n.requestId === req.requestId).length;
    for (let i = have; i < req.count; i++) {
      const id = `${req.nodeType}-${this.seq++}`;
      this.nodes.set(id, {
        id, nodeType: req.nodeType, kind: req.kind, status: 'pending', requestId: req.requestId,
        tags: { ...req.tags, [CLUSTER_NAME_TAG]: this.clusterName },
      });
    }
  }

  async terminate(ids: string[]): Promise<void> {
    this.calls.push(`terminate ${ids.join(',')}`);
    this.maybeFail('terminate');
    for (const id of ids) this.nodes.delete(id);
  }

  /** A launched node came up. */
  start(id: string): void {
    const n = this.nodes.get(id);
    if (n) n.status = 'running';
  }
}
