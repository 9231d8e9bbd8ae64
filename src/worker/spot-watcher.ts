/**
 * A spot node's watch for its interruption notice: EC2 posts `spot/instance-action` two minutes before it stops
 * or terminates the instance, and the agent tells the head at once, so the head drains the node and its
 * autoscaler replaces it before it goes, instead of finding it lost afterwards.
 */
import type { ClusterConfig } from '../config/types.js';
import type { InstanceMetadata } from './instance-metadata.js';

export const SPOT_NOTICE_PATH = '/latest/meta-data/spot/instance-action';
/** What status and monitor say of a node drained by its notice. */
export const SPOT_NOTICE_REASON = 'spot interruption notice';
/** AWS advises polling every 5 s: a notice is then seen at least 115 s before the instance goes. */
export const SPOT_POLL_MS = 5_000;

export interface SpotNotice {
  action: 'terminate' | 'stop' | 'hibernate';
  /** When EC2 acts, as it wrote it (ISO 8601). */
  time: string;
}

/** The notice in an instance-action document, or undefined for anything else. Pure. */
export function parseSpotNotice(body: string): SpotNotice | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  const { action, time } = (doc ?? {}) as { action?: unknown; time?: unknown };
  if ((action !== 'terminate' && action !== 'stop' && action !== 'hibernate') || typeof time !== 'string') return undefined;
  return { action, time };
}

/** Whether nodes of this type are EC2 spot instances (node_config.InstanceMarketOptions.MarketType: spot). Pure. */
export function isSpotType(config: ClusterConfig, nodeType: string): boolean {
  if (config.provider.type !== 'aws') return false;
  const market = config.available_node_types[nodeType]?.node_config.InstanceMarketOptions as { MarketType?: unknown } | undefined;
  return market?.MarketType === 'spot';
}

export interface SpotWatcherOptions {
  metadata: InstanceMetadata;
  onNotice(notice: SpotNotice): void;
  /** A poll that failed (the service unreachable); the watch goes on. */
  onError(e: Error): void;
  intervalMs?: number;
}

/** Polls the notice path until a notice appears (reported once) or stop(). */
export class SpotWatcher {
  private timer: NodeJS.Timeout | undefined;
  private state: 'idle' | 'watching' | 'noticed' | 'stopped' = 'idle';
  private lastError = '';

  constructor(private readonly o: SpotWatcherOptions) {}

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'watching';
    void this.poll();
  }

  stop(): void {
    this.state = 'stopped';
    clearTimeout(this.timer);
  }

  /** One look at the notice path; once started, the next is scheduled only when this one has ended, so polls never pile up. */
  async poll(): Promise<void> {
    try {
      const body = await this.o.metadata.get(SPOT_NOTICE_PATH);
      const notice = body === undefined ? undefined : parseSpotNotice(body);
      // idle: a look asked for directly (tests, or a caller that polls on its own schedule)
      if (notice !== undefined && (this.state === 'watching' || this.state === 'idle')) {
        this.state = 'noticed';
        this.o.onNotice(notice);
        return;
      }
    } catch (e) {
      // Said once per distinct failure: an unreachable service every 5 s would flood the node's log.
      if ((e as Error).message !== this.lastError) this.o.onError(e as Error);
      this.lastError = (e as Error).message;
    }
    if (this.state !== 'watching') return;
    this.timer = setTimeout(() => void this.poll(), this.o.intervalMs ?? SPOT_POLL_MS);
    this.timer.unref();
  }
}
