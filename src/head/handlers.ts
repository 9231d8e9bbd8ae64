import type { ClusterConfig } from '../config/types.js';
import type { AutoscalerView, MessageOf } from '../protocol/messages.js';
import type { Peer } from './control-plane.js';
import type { Head } from './head.js';
import type { JobManager } from './jobs/job-manager.js';
import { RefusedSubmission } from './jobs/submission.js';
import type { ClusterReadModel } from './read-model.js';
import type { HandlerTable } from './router.js';
import type { Sessions } from './sessions.js';
import { ThisTurn } from './this-turn.js';

/** The autoscaler as the head drives it. */
export interface AutoscalerControl {
  view(): AutoscalerView;
  /** New demand may have appeared: look soon. */
  nudge(): void;
  terminateWorkers(keepMinWorkers: boolean): Promise<string[]>;
  /** `up` changed settings the autoscaler reads on every tick. */
  reconfigure(config: ClusterConfig): void;
}

export type HeadJobs = Pick<JobManager, 'driversOf' | 'submit' | 'saved' | 'stop' | 'bundle' | 'files' | 'list'>;

export interface HandlerDeps {
  head: Head;
  sessions: Sessions;
  jobs: HeadJobs;
  readModel: ClusterReadModel;
  /** None on a head that runs no autoscaler. */
  autoscaler?: AutoscalerControl;
}

/** What each message the head takes does; the router decides who may send it. */
export function headHandlers(d: HandlerDeps): HandlerTable {
  const { head, sessions, jobs, autoscaler } = d;
  const { tasks, actors, objects, peers } = head;
  // One object is sent to one client once per frame, however often the frame asks for it: a fetch is tiny and its
  // answer may be the whole inline value (or, relayed, the whole stored one).
  const asked = new ThisTurn<never>();
  const status = new ThisTurn<ReturnType<ClusterReadModel['status']>>();
  return {
    hello: (peer, m) => sessions.hello(peer, m),
    'resume.ask': (peer, m) => sessions.resume(peer, m),
    'driver.exit': (peer, m) => sessions.exited(peer, m),
    // nodes
    'node.register': (peer, m) => head.registerNode(peer, m),
    'node.resume': (peer, m) => head.resumeNode(peer, m),
    heartbeat: (_peer, m) => head.heartbeat(m.nodeId),
    'node.draining': (_peer, m) => {
      head.drainNow(m.nodeId, m.reason);
      autoscaler?.nudge(); // its replacement is launched now, not at the next tick
    },
    // tasks
    submit: (_peer, m) => {
      autoscaler?.nudge();
      head.submit(m.task);
    },
    'task.done': (peer, m) => tasks.done(m.taskId, m.attempt, head.trusted(peer, m.value)),
    'task.crashed': (_peer, m) => tasks.crashed(m.taskId, m.attempt, m.reason, m.pid),
    'task.blocked': (_peer, m) => tasks.blocked(m.taskId),
    'task.unblocked': (_peer, m) => tasks.unblocked(m.taskId),
    cancel: (_peer, m) => {
      if (!tasks.cancel(m.id, m.force, m.recursive)) actors.cancel(m.id);
    },
    // actors
    'actor.create': (_peer, m) => {
      autoscaler?.nudge();
      head.createActor(m.actor);
    },
    'actor.ready': (_peer, m) => actors.ready(m.actorId, m.attempt),
    'actor.failed': (_peer, m) => actors.startFailed(m.actorId, m.attempt, m.error),
    'actor.died': (_peer, m) => actors.died(m.actorId, m.attempt, m.reason),
    'actor.call': (_peer, m) => {
      actors.call(m.call);
      objects.subscribe(m.call.owner, m.call.returnId);
    },
    'actor.done': (peer, m) => actors.done(m.callId, m.actorId, m.attempt, head.trusted(peer, m.value)),
    'actor.kill': (_peer, m) => actors.kill(m.actorId, m.noRestart, m.jobId),
    'actor.lookup': (_peer, m) => {
      const actor = actors.lookup(m.name, m.namespace);
      const jobId = peers.jobOf(m.client);
      if (actor && jobId !== undefined) head.foundActor(jobId, actor.actorId); // a handle it now holds (it may kill a detached one)
      peers.toClient(m.client, { type: 'actor.found', reqId: m.reqId, client: m.client, actor });
    },
    // placement groups and requested capacity
    'pg.create': (_peer, m) => {
      autoscaler?.nudge();
      head.groups.create(m.pg);
    },
    'pg.remove': (_peer, m) => head.groups.remove(m.pgId, m.jobId),
    'resources.request': (_peer, m) => {
      autoscaler?.nudge();
      head.requestResources(m.bundles);
    },
    // objects
    put: (peer, m) => head.put({ ...m, value: head.trusted(peer, m.value) }),
    'object.stored': (peer, m) => head.objectStored(peer, m),
    fetch: (_peer, m) => {
      for (const id of m.ids) if (asked.first(`fetch\0${m.client}\0${id}`)) objects.subscribe(m.client, id);
    },
    // Each pull has its own reqId that its sender waits on, so every one is answered; what they make the head
    // hold for a peer that does not read is bounded by the control plane (raylaunch.max_message_mb).
    'object.pull': (_peer, m) => head.relay.pull(m),
    'object.data': (peer, m) => head.relay.data(peer, m),
    // jobs
    log: (_peer, m) => {
      for (const driver of jobs.driversOf(m.jobId)) peers.toClient(driver, m);
    },
    // A submitter hears of its job once the job's record is durable. A store that fails stops the head: the
    // submitter then sees its connection close, never an id a restarted head would not know.
    'job.submit': (peer, m) => {
      const reply = submitted(m, jobs);
      if (reply.type === 'job.refused') return peer.send(reply);
      void jobs.saved(reply.jobId).then(() => peer.send(reply), () => undefined);
    },
    'job.follow': (peer, m) => sessions.follow(peer, m),
    'job.stop': (_peer, m) => jobs.stop(m.jobId),
    'job.bundle.get': (peer, m) => peer.send({ type: 'job.bundle', reqId: m.reqId, jobId: m.jobId, bundle: jobs.bundle(m.jobId), ...jobs.files(m.jobId) }),
    // the operator
    // Queries in one frame share one status (one object, serialized once per frame): each still gets its reply.
    query: (peer, m) => peer.send({ type: 'query.reply', reqId: m.reqId, client: m.client, status: status.memo(() => d.readModel.status(autoscaler?.view() ?? null)) }),
    'config.update': (peer, m) => peer.send({ type: 'config.updated', reqId: m.reqId, client: m.client, ...updateConfig(d, m.config) }),
    'workers.down': (peer, m) => workersDown(peer, m, autoscaler),
  };
}

/** The answer to a job.submit: its job, or why the head refuses to start it (the connection stays open). */
function submitted(m: MessageOf<'job.submit'>, jobs: HeadJobs): MessageOf<'job.accepted'> | MessageOf<'job.refused'> {
  try {
    return { type: 'job.accepted', reqId: m.reqId, jobId: jobs.submit(m) };
  } catch (e) {
    if (e instanceof RefusedSubmission) return { type: 'job.refused', reqId: m.reqId, message: e.message };
    throw e;
  }
}

/** A live change goes to the head (and through it the node types) and to the autoscaler, which looks again at once. */
function updateConfig(d: HandlerDeps, next: ClusterConfig): ReturnType<Head['updateConfig']> {
  const result = d.head.updateConfig(next);
  if (result.applied.length > 0) {
    d.autoscaler?.reconfigure(next);
    d.autoscaler?.nudge();
  }
  return result;
}

function workersDown(peer: Peer, m: MessageOf<'workers.down'>, autoscaler: AutoscalerControl | undefined): void {
  const reply = (terminated: string[], error?: string) => peer.send({ type: 'workers.down.reply', reqId: m.reqId, client: m.client, terminated, ...(error ? { error } : {}) });
  if (!autoscaler) return reply([], 'this head runs no autoscaler');
  void autoscaler.terminateWorkers(m.keepMinWorkers).then((ids) => reply(ids), (e: unknown) => reply([], (e as Error).message));
}
