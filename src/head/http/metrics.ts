/**
 * The head's Prometheus metrics (GET /metrics, metrics-routes.ts), in a registry of the head's own. What the
 * cluster is now (nodes, resources, tasks, demands, jobs) is read from the read model when scraped, once per
 * scrape, in time linear in its nodes, demands and jobs; what happens (the autoscaler's launches, terminations,
 * failures and ticks, the control plane's traffic) is counted as it happens through the two sinks below, so the
 * autoscaler and the control plane never import prom-client.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AutoscalerFailure, AutoscalerMetrics } from '../autoscaler/loop.js';
import type { TrafficMeter } from '../control-plane.js';
import type { ClusterReading } from '../history.js';
import type { ClusterStatus, JobState, JobView, Message } from '../../protocol/messages.js';

/** What a scrape reads of the cluster: the read model's `status`, nothing computed here of its own. */
export interface MetricsReading extends ClusterReading {
  demands: readonly Pick<ClusterStatus['demands'][number], 'count' | 'infeasible' | 'source'>[];
  tasks: ClusterStatus['tasks'];
  jobs: readonly Pick<JobView, 'state'>[];
}

export interface HeadMetricsOptions {
  read(): MetricsReading;
  /** Open control-plane connections now. */
  connections?(): number;
  /** Also the head process's own metrics (CPU, memory, event-loop lag), as raylaunch_head_*. */
  processMetrics?: boolean;
}

const NODE_STATES = ['ALIVE', 'DRAINING', 'DEAD'] as const;
const JOB_STATES: readonly JobState[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED'];
const DEMAND_SOURCES = ['task', 'actor', 'placement_group'] as const;
/** From a tick that only looks to one that lists the cloud and launches. */
const TICK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Adds one to a key's count. */
function bump(m: Map<string, number>, key: string, by = 1): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

export class HeadMetrics {
  readonly registry = new Registry();
  private reading: MetricsReading | undefined;
  // The control plane's traffic is counted in plain maps on its hot path and handed to prom-client when scraped.
  private readonly received = new Map<string, number>();
  private readonly sent = new Map<string, number>();
  private receivedBytes = 0;
  private sentBytes = 0;
  private readonly launches: Counter<'node_type'>;
  private readonly terminations: Counter<'reason'>;
  private readonly failures: Counter<'reason' | 'node_type'>;
  private readonly tickSeconds: Histogram;

  constructor(private readonly o: HeadMetricsOptions) {
    const registers = [this.registry];
    const now = () => this.now();
    new Gauge({
      name: 'raylaunch_nodes', help: 'Nodes the head knows, by node type and state (ALIVE, DRAINING, DEAD).', labelNames: ['node_type', 'state'], registers,
      collect() {
        this.reset();
        const types = new Set(now().nodes.map((n) => n.nodeType));
        for (const t of types) for (const state of NODE_STATES) this.set({ node_type: t, state }, 0);
        for (const n of now().nodes) this.inc({ node_type: n.nodeType, state: n.state });
      },
    });
    const resources = (used: boolean) => function (this: Gauge<'resource'>) {
      this.reset();
      for (const n of now().nodes) {
        if (n.state === 'DEAD') continue;
        for (const [resource, total] of Object.entries(n.total)) {
          this.inc({ resource }, used ? Math.min(total, Math.max(0, total - (n.available[resource] ?? 0))) : total);
        }
      }
    };
    new Gauge({
      name: 'raylaunch_cluster_resources', help: 'Resources of the nodes not dead, by resource name (memory and object_store_memory in bytes).',
      labelNames: ['resource'], registers, collect: resources(false),
    });
    new Gauge({
      name: 'raylaunch_cluster_resources_used', help: 'Resources taken by tasks, actors and placement groups on the nodes not dead, by resource name.',
      labelNames: ['resource'], registers, collect: resources(true),
    });
    new Gauge({
      name: 'raylaunch_tasks', help: 'Tasks the head holds now: waiting for a node (pending) or running.', labelNames: ['state'], registers,
      collect() {
        const t = now().tasks;
        this.set({ state: 'pending' }, t.pending);
        this.set({ state: 'running' }, t.running);
      },
    });
    new Counter({
      name: 'raylaunch_tasks_ended_total', help: 'Tasks that ended since the head started, by how (finished or failed).', labelNames: ['state'], registers,
      collect() {
        const t = now().tasks;
        this.reset();
        this.inc({ state: 'finished' }, t.finished);
        this.inc({ state: 'failed' }, t.failed);
      },
    });
    const demands = (infeasible: boolean) => function (this: Gauge<'source'>) {
      for (const source of DEMAND_SOURCES) this.set({ source }, 0);
      for (const d of now().demands) if (d.infeasible === infeasible) this.inc({ source: d.source }, d.count);
    };
    new Gauge({
      name: 'raylaunch_pending_demands', help: 'Resource requests waiting for a node some node type could serve, by what asks (task, actor, placement_group).',
      labelNames: ['source'], registers, collect: demands(false),
    });
    new Gauge({
      name: 'raylaunch_infeasible_demands', help: 'Resource requests no node type can ever serve, by what asks.', labelNames: ['source'], registers, collect: demands(true),
    });
    new Gauge({
      name: 'raylaunch_jobs', help: 'Jobs the head keeps, by state.', labelNames: ['state'], registers,
      collect() {
        for (const state of JOB_STATES) this.set({ state }, 0);
        for (const j of now().jobs) this.inc({ state: j.state });
      },
    });

    this.launches = new Counter({ name: 'raylaunch_autoscaler_launches_total', help: 'Worker nodes the autoscaler decided to launch, by node type.', labelNames: ['node_type'], registers });
    this.terminations = new Counter({
      name: 'raylaunch_autoscaler_terminations_total', help: 'Worker nodes the autoscaler decided to terminate, by reason (idle, outdated, max_workers, setup_failed, …).',
      labelNames: ['reason'], registers,
    });
    this.failures = new Counter({
      name: 'raylaunch_autoscaler_failures_total',
      help: 'Autoscaler failures, by reason (capacity, quota, stopped: launching stopped on an auth or config error, transient, setup, tick) and node type where one failed.',
      labelNames: ['reason', 'node_type'], registers,
    });
    this.tickSeconds = new Histogram({ name: 'raylaunch_autoscaler_loop_duration_seconds', help: 'How long one autoscaler tick took (gather, decide, act).', buckets: TICK_BUCKETS, registers });

    const traffic = (name: string, help: string, counts: Map<string, number>) => new Counter({
      name, help, labelNames: ['type'], registers,
      collect() {
        this.reset();
        for (const [type, n] of counts) this.inc({ type }, n);
      },
    });
    traffic('raylaunch_control_plane_messages_received_total', 'Messages the control plane took from its peers, by message type.', this.received);
    traffic('raylaunch_control_plane_messages_sent_total', 'Messages the control plane sent its peers, by message type.', this.sent);
    const bytes = (name: string, help: string, read: () => number) => new Counter({
      name, help, registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
    bytes('raylaunch_control_plane_received_bytes_total', 'WebSocket payload bytes the control plane took from its peers.', () => this.receivedBytes);
    bytes('raylaunch_control_plane_sent_bytes_total', 'Frame bytes the control plane sent its peers.', () => this.sentBytes);
    const connections = o.connections;
    if (connections) {
      new Gauge({ name: 'raylaunch_control_plane_connections', help: 'Open WebSocket connections to the control plane.', registers, collect() { this.set(connections()); } });
    }
    if (o.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'raylaunch_head_' });
  }

  /** This scrape's reading (one per scrape, whatever the number of metrics that read it). */
  private now(): MetricsReading {
    this.reading ??= this.o.read();
    return this.reading;
  }

  /** The text a scrape answers with. */
  async text(): Promise<string> {
    this.reading = this.o.read();
    try {
      return await this.registry.metrics();
    } finally {
      this.reading = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** What the autoscaler loop counts. */
  readonly autoscaler: AutoscalerMetrics = {
    launched: (nodeType, count) => this.launches.inc({ node_type: nodeType }, count),
    terminated: (reason) => this.terminations.inc({ reason }),
    failed: (reason: AutoscalerFailure, nodeType) => this.failures.inc(nodeType === undefined ? { reason } : { reason, node_type: nodeType }),
    tick: (seconds) => this.tickSeconds.observe(seconds),
  };

  /** What the control plane counts of its traffic. */
  readonly traffic: TrafficMeter = {
    received: (msgs: readonly Message[], bytes: number) => {
      this.receivedBytes += bytes;
      for (const m of msgs) bump(this.received, m.type);
    },
    sent: (msgs: readonly Message[], bytes: number) => {
      this.sentBytes += bytes;
      for (const m of msgs) bump(this.sent, m.type);
    },
  };
}
