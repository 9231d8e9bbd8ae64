import type { Message } from '../protocol/messages.js';
import type { Peer } from './control-plane.js';

/**
 * What the head decides of one message the router let through for its role (router.ts says who may send which
 * type; this says on whose behalf). `close`: the connection itself lied about who it is (a driver naming another
 * client or job, an agent speaking as another node or for a worker process it did not announce); it goes.
 * `deny`: a job asked for what is not its own to ask (stop another job, kill an actor it holds no handle to,
 * cancel another job's work); the message is dropped with the reason logged, the connection stays (on an agent's
 * connection it carries the node's other work).
 */
export type Verdict = { close: string } | { deny: string } | undefined;

/** What the head knows that decides it (the head's tables, behind small lookups). */
export interface AuthFacts {
  /** The connection a client's replies go through, and the job it acts for. */
  client(clientId: string): { peer: Peer; jobId: string | undefined } | undefined;
  /** The jobs of the worker processes an agent announced. */
  jobsVia(peer: Peer): ReadonlySet<string>;
  /** The live connection a node id is bound to. */
  nodePeer(nodeId: string): Peer | undefined;
  /** A task's job, and its node while it runs, by task id or result id. */
  task(id: string): { jobId: string; nodeId: string | undefined } | undefined;
  actor(actorId: string): { jobId: string; nodeId: string | undefined; detached: boolean } | undefined;
  /** The job an object, or a task's or call's result, belongs to. */
  objectJob(id: string): string | undefined;
  /** Whether the job found this actor with getActor(). */
  found(jobId: string, actorId: string): boolean;
  /** The job that made a placement group. */
  groupJob(pgId: string): string | undefined;
}

const close = (why: string): Verdict => ({ close: why });
const deny = (why: string): Verdict => ({ deny: why });

/**
 * The client and job a job-API message says it comes from, and the ids it makes: a client makes ids that begin
 * with its own client id (src/client/runtime.ts), so no one can take, or set first, an id of someone else's.
 */
function claims(m: Message): { client?: string; jobId?: string; made?: string[] } | undefined {
  switch (m.type) {
    case 'submit': return { client: m.task.owner, jobId: m.task.jobId, made: [m.task.taskId, m.task.returnId] };
    case 'actor.create': return { client: m.actor.owner, jobId: m.actor.jobId, made: [m.actor.actorId] };
    case 'actor.call': return { client: m.call.owner, jobId: m.call.jobId, made: [m.call.callId, m.call.returnId] };
    case 'pg.create': return { client: m.pg.owner, jobId: m.pg.jobId, made: [m.pg.pgId] };
    case 'put': return { client: m.owner, jobId: m.jobId, made: [m.id] };
    case 'fetch': case 'object.pull': case 'query': case 'actor.lookup': return { client: m.client };
    case 'cancel': case 'actor.kill': case 'pg.remove': case 'resources.request': case 'log': return { jobId: m.jobId };
    default: return undefined;
  }
}

/** The ids a message claims must be the sender's own: a driver's are its connection's; a worker process's are those its agent announced. */
function identity(peer: Peer, m: Message, f: AuthFacts): Verdict {
  const c = claims(m);
  if (!c) return undefined;
  const foreign = c.made?.find((id) => !id.startsWith(`${c.client ?? ''}.`));
  if (foreign !== undefined) return close(`${m.type} makes ${foreign}, an id that is not of its client ${c.client ?? ''}`);
  if (peer.role === 'agent') {
    if (c.client !== undefined) {
      const w = f.client(c.client);
      if (w?.peer !== peer) return close(`${m.type} names client ${c.client}, which is no worker process of this agent`);
      if (c.jobId !== undefined && c.jobId !== w.jobId) return close(`${m.type} names job ${c.jobId}, but its worker process ${c.client} is of job ${w.jobId ?? 'none'}`);
    } else if (c.jobId !== undefined && !f.jobsVia(peer).has(c.jobId)) {
      return close(`${m.type} names job ${c.jobId}, which has no worker process on this agent`);
    }
    if (m.type === 'log' && m.nodeId !== peer.nodeId) return close(`log names node ${m.nodeId}, not this agent's`);
    return undefined;
  }
  if (c.client !== undefined && c.client !== peer.clientId) return close(`${m.type} names client ${c.client}, not this connection's (${peer.clientId ?? 'none'})`);
  const job = peer.clientId === undefined ? undefined : f.client(peer.clientId)?.jobId;
  if (c.jobId !== undefined && c.jobId !== job) return close(`${m.type} names job ${c.jobId}, not this connection's (${job ?? 'none'})`);
  return undefined;
}

/** A node's messages come from the connection its id is bound to, and reports on work from the node it runs on. */
function node(peer: Peer, m: Message, f: AuthFacts): Verdict {
  switch (m.type) {
    case 'node.register': {
      if (m.nodeId !== peer.nodeId) return close(`node.register as node ${m.nodeId}, but this connection is node ${peer.nodeId ?? 'none'}`);
      const bound = f.nodePeer(m.nodeId);
      return bound !== undefined && bound !== peer ? close(`node ${m.nodeId} is registered on another connection`) : undefined;
    }
    case 'heartbeat': case 'node.draining':
      return m.nodeId === peer.nodeId && f.nodePeer(m.nodeId) === peer ? undefined : close(`${m.type} as node ${m.nodeId}, which this connection did not register`);
    case 'task.done': case 'task.crashed': case 'task.blocked': case 'task.unblocked': {
      const t = f.task(m.taskId);
      return t?.nodeId === undefined || t.nodeId === peer.nodeId ? undefined : deny(`${m.type} for task ${m.taskId}, which runs on node ${t.nodeId}`);
    }
    case 'actor.ready': case 'actor.failed': case 'actor.done': case 'actor.died': {
      const a = f.actor(m.actorId);
      return a?.nodeId === undefined || a.nodeId === peer.nodeId ? undefined : deny(`${m.type} for actor ${m.actorId}, which runs on node ${a.nodeId}`);
    }
    default:
      return undefined;
  }
}

/** What a job may do to work: only its own, and actors it holds a handle to. */
function ownership(peer: Peer, m: Message, f: AuthFacts): Verdict {
  switch (m.type) {
    case 'job.stop': {
      if (peer.role === 'cli') return undefined;
      const own = peer.clientId === undefined ? undefined : f.client(peer.clientId)?.jobId;
      return m.jobId === own ? undefined : deny(`job ${own ?? 'none'} may not stop job ${m.jobId}`);
    }
    case 'actor.kill': {
      const a = f.actor(m.actorId);
      if (!a || a.jobId === m.jobId || (a.detached && f.found(m.jobId, m.actorId))) return undefined;
      return deny(`job ${m.jobId} holds no handle to actor ${m.actorId} (of job ${a.jobId}): it may kill only actors it created or detached actors it found with getActor`);
    }
    case 'cancel': {
      const jobId = f.task(m.id)?.jobId ?? f.objectJob(m.id);
      return jobId === undefined || jobId === m.jobId ? undefined : deny(`job ${m.jobId} may not cancel ${m.id}, work of job ${jobId}`);
    }
    case 'pg.remove': {
      const jobId = f.groupJob(m.pgId);
      return jobId === undefined || jobId === m.jobId ? undefined : deny(`job ${m.jobId} may not remove placement group ${m.pgId} of job ${jobId}`);
    }
    default:
      return undefined;
  }
}

/**
 * A hello takes a client id no other connection holds (its replies would go elsewhere). An agent's names its
 * node, which no other live connection is; a worker process's, relayed by its agent, names that agent's node and
 * its job. A connection whose credential fixed its node or job keeps them.
 */
function hello(peer: Peer, m: Message, f: AuthFacts): Verdict {
  if (m.type !== 'hello') return undefined;
  const holder = f.client(m.clientId)?.peer;
  if (holder !== undefined && holder !== peer) return close(`client id ${m.clientId} is another connection's`);
  if (peer.role === 'agent') {
    if (m.nodeId !== peer.nodeId || m.jobId === undefined) return close(`a worker process's hello must name this agent's node (${peer.nodeId ?? 'none'}) and its job`);
    return undefined;
  }
  if (m.role === 'agent') {
    if (m.nodeId === undefined) return close('an agent\'s hello must name its node');
    if (peer.nodeId !== undefined && m.nodeId !== peer.nodeId) return close(`this connection is node ${peer.nodeId}, not ${m.nodeId}`);
    const bound = f.nodePeer(m.nodeId);
    if (bound !== undefined && bound !== peer) return close(`node ${m.nodeId} is another connection's`);
  }
  if (m.role === 'driver' && peer.jobId !== undefined && m.jobId !== undefined && m.jobId !== peer.jobId) {
    return close(`this connection is job ${peer.jobId}'s, not ${m.jobId}'s`);
  }
  return undefined;
}

/** The verdict on one message, after the router's role check. Pure: the facts are lookups. */
export function authorize(peer: Peer, m: Message, f: AuthFacts): Verdict {
  return hello(peer, m, f) ?? identity(peer, m, f) ?? node(peer, m, f) ?? ownership(peer, m, f);
}
