import type { MessageOf } from '../protocol/messages.js';
import type { Peer } from './control-plane.js';
import type { Head } from './head.js';
import type { JobManager, JobSink } from './jobs/job-manager.js';

/** What sessions need of the job manager. */
export type SessionJobs = Pick<JobManager, 'attachDriver' | 'driverDisconnected' | 'driverExited' | 'driverRefused' | 'follow' | 'unfollow'>;

/**
 * A connection's life on the head: its hello (role, client id, the driver's job), the job output it follows,
 * and what its close takes with it (routes, subscriptions, its driver's job, its node).
 */
export class Sessions {
  private readonly followers = new Map<Peer, JobSink[]>();

  constructor(private readonly d: {
    head: Pick<Head, 'peers' | 'objects' | 'welcome' | 'nodeLost'>;
    jobs: SessionJobs;
    /** raylaunch.head_reconnect_timeout_s, handed to drivers in their welcome. */
    reconnectTimeoutS?: number;
    /**
     * Resolves once this head knows what its nodes run: at once on a first start; after a restart, once the nodes
     * it knew have come back and re-reported (or the reconnect timeout passed). A resumed driver is answered then,
     * so that it submits again only what no node runs.
     */
    recovered?: () => Promise<void>;
  }) {}

  /** The router lets through a connection's first hello and, from an agent, its worker processes' ones. */
  hello(peer: Peer, m: MessageOf<'hello'>): void {
    const { head, jobs } = this.d;
    if (peer.role === 'agent' && m.role === 'worker') {
      head.peers.route(m.clientId, peer, m.jobId); // a worker process behind this agent, with the job its agent stamped
      return;
    }
    peer.role = m.role;
    peer.clientId = m.clientId;
    if (m.role === 'agent') {
      // The router let this hello through only with the node credential of the node it names.
      peer.nodeId = m.nodeId;
      return peer.send(head.welcome({ objectCredential: true }));
    }
    if (m.role === 'driver') {
      // A connection with a job's credential is that job's driver (its jobId is set at admission; authorize.ts
      // refuses a hello naming another job).
      const jobId = peer.jobId ?? m.jobId;
      const job = jobs.attachDriver({
        clientId: m.clientId, ...(jobId ? { jobId } : {}), ...(m.bundle ? { bundle: m.bundle } : {}), ...(m.name ? { name: m.name } : {}),
        ...(m.namespace ? { namespace: m.namespace } : {}),
      });
      if (!job) {
        peer.send({ type: 'fatal', message: `job ${m.jobId ?? ''} is not running on this cluster` });
        return peer.close('unknown job');
      }
      head.peers.route(m.clientId, peer, job.jobId);
      const reconnect = this.d.reconnectTimeoutS;
      const welcome = () => peer.send({ ...head.welcome({ jobId: job.jobId, namespace: job.namespace, objectCredential: true }), ...(reconnect ? { reconnectTimeoutS: reconnect } : {}) });
      if (!job.durable) return welcome();
      // A driver started by hand hears its new job's id only once the job is durable, as a submitter does: a head
      // restarted after that keeps the job for the driver to come back to. Nothing is sent to a client unknown
      // until now before its welcome.
      void job.durable.then(welcome, () => undefined);
      return;
    }
    head.peers.route(m.clientId, peer);
    const reconnect = this.d.reconnectTimeoutS;
    peer.send({ ...head.welcome(), ...(reconnect ? { reconnectTimeoutS: reconnect } : {}) });
  }

  /**
   * A driver back after its connection dropped (this head restarted, or the network failed) asks which of its
   * unfinished submissions the head has: the results of its tasks and actor calls, and its puts, by object id. Each
   * is known while the head expects or holds that object (tasks.ts and actors.ts expect their results from submission).
   * Only objects of the driver's own job are said to be known: the answer tells nothing of other jobs' objects.
   */
  resume(peer: Peer, m: MessageOf<'resume.ask'>): void {
    const { objects, peers } = this.d.head;
    void (this.d.recovered?.() ?? Promise.resolve()).then(() => {
      const job = peers.jobOf(m.client);
      peer.send({ type: 'resume.known', reqId: m.reqId, client: m.client, ids: m.ids.filter((id) => job !== undefined && objects.jobOf(id) === job) });
    });
  }

  /** A driver says it ends: its hand-started job ends now rather than waiting for it to come back. */
  exited(peer: Peer, m: MessageOf<'driver.exit'>): void {
    if (peer.role === 'driver' && peer.clientId) this.d.jobs.driverExited(peer.clientId, m.exitCode);
  }

  /** Streams a job's output to this connection until it closes. */
  follow(peer: Peer, m: MessageOf<'job.follow'>): void {
    const sink: JobSink = {
      output: (stream, text, at) => peer.send({ type: 'job.output', jobId: m.jobId, stream, text, ...(at !== undefined ? { at } : {}) }),
      exit: (state, exitCode) => peer.send({ type: 'job.exit', jobId: m.jobId, state, exitCode }),
      snapshotEnd: (state) => peer.send({ type: 'job.snapshot.end', jobId: m.jobId, state }),
    };
    this.followers.set(peer, [...(this.followers.get(peer) ?? []), sink]);
    if (!this.d.jobs.follow(m.jobId, sink, m.follow ?? true, m.from ?? 0)) peer.send({ type: 'job.missing', jobId: m.jobId });
  }

  /** `refused`: the head closed it for what it sent, so a hand-started driver's job is not waited for. */
  closed(peer: Peer, refused?: string): void {
    const { head, jobs } = this.d;
    for (const sink of this.followers.get(peer) ?? []) jobs.unfollow(sink);
    this.followers.delete(peer);
    const gone = head.peers.closed(peer);
    for (const client of gone.clients) head.objects.unsubscribeAll(client);
    if (peer.role === 'driver' && peer.clientId) {
      if (refused === undefined) jobs.driverDisconnected(peer.clientId);
      else jobs.driverRefused(peer.clientId, refused);
    }
    if (gone.nodeId !== undefined) head.nodeLost(gone.nodeId);
  }
}
