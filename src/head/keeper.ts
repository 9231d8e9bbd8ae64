import type { NodeProvider } from '../../providers/provider.js';
import type { ClusterConfig } from '../config/types.js';

/**
 * Keeps each node type's min_workers alive through the provider, replacing nodes that die, until the
 * autoscaler takes this over. One launch request per type: retrying it creates only what is missing.
 */
export class MinWorkersKeeper {
  private running = false;
  lastError: string | undefined;

  constructor(private readonly provider: NodeProvider, private readonly config: ClusterConfig) {}

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const [nodeType, t] of Object.entries(this.config.available_node_types)) {
        const want = Math.min(t.min_workers, t.max_workers);
        if (want > 0) await this.provider.launch({ requestId: `min-workers-${nodeType}`, nodeType, kind: 'worker', count: want });
      }
      this.lastError = undefined;
    } catch (e) {
      this.lastError = (e as Error).message;
    } finally {
      this.running = false;
    }
  }
}
