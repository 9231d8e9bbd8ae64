/**
 * What an agent relays of its worker processes' messages. User code runs in a worker process, so the agent
 * takes from it only the worker row of MAY_SEND, and every id in a message it relays is one the agent knows of
 * that process (its job, client id, node, pid, its task or actor), never what the process wrote there. Pure.
 */
import type { Message, ObjectValue } from '../protocol/messages.js';
import { MAY_SEND } from '../protocol/roles.js';

const WORKER_TYPES: ReadonlySet<string> = new Set(MAY_SEND.worker);

/** What the agent knows of one worker process. */
export interface WorkerFacts {
  clientId: string;
  jobId: string;
  nodeId: string;
  pid: number;
  /** It said hello already (it says it once, when its job's module has loaded). */
  greeted: boolean;
  /** The task it runs now. */
  task: { taskId: string; attempt: number } | undefined;
  /** The actor it hosts, as the head started it. */
  actor: { actorId: string; attempt: number } | undefined;
  /** Whether the head delivered this actor call to this process. */
  hasCall(callId: string): boolean;
}

/** What a worker process may not send: the agent kills it, with this as the reason. */
export class ForbiddenWorkerMessage extends Error {
  override readonly name = 'ForbiddenWorkerMessage';
}

const forbid = (why: string): never => {
  throw new ForbiddenWorkerMessage(why);
};

/** A worker process hands over values inline (or as an error); only its agent says where a large one is stored. */
function own(value: ObjectValue, type: string): ObjectValue {
  if (value.kind === 'stored') forbid(`a ${type} naming a stored object (only its agent stores objects)`);
  return value;
}

/** The ids a message makes: a client's begin with its client id (src/client/runtime.ts), as the head checks. */
function made(m: Message): string[] {
  switch (m.type) {
    case 'submit': return [m.task.taskId, m.task.returnId];
    case 'actor.create': return [m.actor.actorId];
    case 'actor.call': return [m.call.callId, m.call.returnId];
    case 'pg.create': return [m.pg.pgId];
    case 'put': return [m.id];
    default: return [];
  }
}

/**
 * The message to relay for one from a worker process, with the agent's ids in it; undefined to drop it quietly (a
 * late task.unblocked of a task that has returned). Throws ForbiddenWorkerMessage for a type outside the worker
 * row, a second hello, or a result or state change of work this process does not hold.
 */
export function stamp(m: Message, w: WorkerFacts): Message | undefined {
  if (!WORKER_TYPES.has(m.type)) forbid(`${m.type}, which a worker process may not send`);
  const { clientId, jobId, nodeId, pid } = w;
  const foreign = made(m).find((id) => !id.startsWith(`${clientId}.`));
  if (foreign !== undefined) forbid(`a ${m.type} making ${foreign}, an id not of its own (${clientId}.…)`);
  switch (m.type) {
    case 'hello':
      if (w.greeted) forbid('a second hello');
      return { type: 'hello', role: 'worker', clientId, jobId, nodeId };
    case 'submit':
      return { ...m, task: { ...m.task, jobId, owner: clientId } };
    case 'actor.create':
      return { ...m, actor: { ...m.actor, jobId, owner: clientId } };
    case 'actor.call':
      return { ...m, call: { ...m.call, jobId, owner: clientId } };
    case 'pg.create':
      return { ...m, pg: { ...m.pg, jobId, owner: clientId } };
    case 'put':
      return { ...m, owner: clientId, jobId, value: own(m.value, m.type) };
    case 'fetch':
    case 'object.pull':
    case 'query':
    case 'actor.lookup':
      return { ...m, client: clientId };
    case 'cancel':
    case 'actor.kill':
    case 'pg.remove':
    case 'resources.request':
      return { ...m, jobId };
    case 'log':
      return { ...m, jobId, nodeId, pid };
    case 'task.done':
      if (w.task?.taskId !== m.taskId) return forbid(`task.done for task ${m.taskId}, which it does not run`);
      return { ...m, attempt: w.task.attempt, pid, value: own(m.value, m.type) };
    case 'task.blocked':
    case 'task.unblocked':
      return w.task?.taskId === m.taskId ? m : undefined;
    case 'actor.ready':
    case 'actor.failed':
      if (!w.actor) return forbid(`${m.type}, but it hosts no actor`);
      return { ...m, actorId: w.actor.actorId, attempt: w.actor.attempt };
    case 'actor.done':
      if (!w.actor || !w.hasCall(m.callId)) return forbid(`actor.done for call ${m.callId}, which it was not given`);
      return { ...m, actorId: w.actor.actorId, attempt: w.actor.attempt, value: own(m.value, m.type) };
    default:
      return forbid(`${m.type}, which a worker process may not send`);
  }
}
