/** Which role may send which message type: the head's router enforces it, and each agent its worker processes' part. Pure. */
import type { Message, Role } from './messages.js';

/** The job API of src/client/runtime.ts: what a driver sends, and a task or actor in a worker process too. */
export const JOB_API = [
  'submit', 'cancel', 'put', 'fetch', 'object.pull', 'query', 'resources.request',
  'actor.create', 'actor.call', 'actor.kill', 'actor.lookup', 'pg.create', 'pg.remove',
] as const;

/**
 * Who may send the head what, by role, from who sends what: a node's agent (src/worker/agent.ts), a worker
 * process behind it (src/worker/worker-process.ts and the job API), a driver (src/client/connect.ts and the job
 * API) and the raylaunch CLI (src/launcher/session.ts). A type in no row is one the head only ever sends.
 */
export const MAY_SEND = {
  agent: [
    'node.register', 'node.resume', 'heartbeat', 'node.draining', 'task.crashed', 'actor.died', 'job.bundle.get', /* the answer to a relayed pull */ 'object.data',
    /* the head node's agent: it holds a driver's large put */ 'object.stored',
  ],
  worker: [...JOB_API, /* its own, relayed by its agent */ 'hello', 'log', 'task.done', 'task.blocked', 'task.unblocked', 'actor.ready', 'actor.failed', 'actor.done'],
  driver: [...JOB_API, /* its own job only (head/authorize.ts) */ 'job.stop', /* back after its connection dropped */ 'resume.ask', /* it ends */ 'driver.exit'],
  cli: ['query', 'job.submit', 'job.follow', 'job.stop', 'workers.down', 'config.update'],
} as const satisfies Record<Role, readonly Message['type'][]>;
