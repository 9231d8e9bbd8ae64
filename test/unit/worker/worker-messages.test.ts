import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { Message } from '../../../src/protocol/messages.js';
import { ForbiddenWorkerMessage, stamp, type WorkerFacts } from '../../../src/worker/worker-messages.js';

const facts = (o: Partial<WorkerFacts> = {}): WorkerFacts => ({
  clientId: 'n1.w0', jobId: 'job-1', nodeId: 'n1', pid: 42, greeted: true, task: { taskId: 'd.t0', attempt: 2 }, actor: undefined,
  hasCall: () => false, ...o,
});
const inline = { kind: 'inline' as const, data: new Uint8Array(1) };
const m = (x: Record<string, unknown>) => x as unknown as Message;

/** What a worker process may not send, and why its agent kills it. */
const FORBIDDEN: [title: string, msg: Message, w: WorkerFacts, reason: RegExp][] = [
  ['the operator\'s workers.down', m({ type: 'workers.down', reqId: 1, client: 'cli', keepMinWorkers: false }), facts(), /workers\.down, which a worker process may not send/],
  ['a node registration', m({ type: 'node.register', nodeId: 'fake-1' }), facts(), /node\.register, which a worker/],
  ['a heartbeat', m({ type: 'heartbeat', nodeId: 'fake-1' }), facts(), /heartbeat, which a worker/],
  ['a crash report', m({ type: 'task.crashed', taskId: 'x', attempt: 1, pid: 1, reason: '' }), facts(), /task\.crashed, which a worker/],
  ['config.update', m({ type: 'config.update' }), facts(), /config\.update, which a worker/],
  ['job.stop', m({ type: 'job.stop', jobId: 'job-2' }), facts(), /job\.stop, which a worker/],
  ['a second hello', m({ type: 'hello', role: 'worker', clientId: 'n1.w0' }), facts(), /a second hello/],
  ['a put of another client\'s object id', m({ type: 'put', id: 'd.o1', owner: 'd', jobId: 'job-1', value: inline }), facts(), /making d\.o1, an id not of its own/],
  ['a task whose result id is another client\'s', m({ type: 'submit', task: { taskId: 'n1.w0.t1', returnId: 'd.t0.r' } }), facts(), /making d\.t0\.r/],
  ['a put naming a stored object', m({ type: 'put', id: 'n1.w0.o1', owner: '', jobId: '', value: { kind: 'stored', nodeId: 'n2', size: 1, address: 'evil:1' } }), facts(), /naming a stored object/],
  ['the result of a task it does not run', m({ type: 'task.done', taskId: 'other.t9', attempt: 1, value: inline, pid: 1 }), facts(), /task\.done for task other\.t9/],
  ['actor.ready from a process hosting no actor', m({ type: 'actor.ready', actorId: 'a', attempt: 1 }), facts(), /hosts no actor/],
  ['the result of an actor call it was not given', m({ type: 'actor.done', callId: 'c9', actorId: 'a', attempt: 1, value: inline }), facts({ actor: { actorId: 'a', attempt: 1 } }), /call c9, which it was not given/],
];

/** What the agent relays: the ids it knows of the process, over whatever the process wrote. */
const STAMPED: [title: string, msg: Message, want: Record<string, unknown>][] = [
  ['a hello says the process\'s client, job and node', m({ type: 'hello', role: 'cli', clientId: 'cli', jobId: 'job-9', nodeId: 'head' }),
    { type: 'hello', role: 'worker', clientId: 'n1.w0', jobId: 'job-1', nodeId: 'n1' }],
  ['a submit is of its job and client', m({ type: 'submit', task: { taskId: 'n1.w0.t1', returnId: 'n1.w0.t1.r', jobId: 'job-9', owner: 'd' } }),
    { type: 'submit', task: { taskId: 'n1.w0.t1', returnId: 'n1.w0.t1.r', jobId: 'job-1', owner: 'n1.w0' } }],
  ['a kill asks as its job', m({ type: 'actor.kill', actorId: 'a', noRestart: true, jobId: 'job-9' }), { type: 'actor.kill', actorId: 'a', noRestart: true, jobId: 'job-1' }],
  ['a cancel asks as its job', m({ type: 'cancel', id: 'x', force: true, recursive: false, jobId: 'job-9' }), { type: 'cancel', id: 'x', force: true, recursive: false, jobId: 'job-1' }],
  ['a pull answers its own client', m({ type: 'object.pull', reqId: 1, client: 'd', id: 'o', nodeId: 'n2' }), { type: 'object.pull', reqId: 1, client: 'n1.w0', id: 'o', nodeId: 'n2' }],
  ['a log line is of its job, node and pid', m({ type: 'log', jobId: 'job-9', source: 's', nodeId: 'head', pid: 1, stream: 'stdout', text: 'x' }),
    { type: 'log', jobId: 'job-1', source: 's', nodeId: 'n1', pid: 42, stream: 'stdout', text: 'x' }],
  ['a task result is of the attempt it runs', m({ type: 'task.done', taskId: 'd.t0', attempt: 7, value: inline, pid: 1 }), { type: 'task.done', taskId: 'd.t0', attempt: 2, value: inline, pid: 42 }],
];

describe('what an agent relays of a worker process (stamp)', () => {
  for (const [title, msg, w, reason] of FORBIDDEN) {
    it(`refuses ${title}`, () => {
      assert.throws(() => stamp(msg, w), (e: unknown) => e instanceof ForbiddenWorkerMessage && reason.test(e.message));
    });
  }
  for (const [title, msg, want] of STAMPED) {
    it(title, () => assert.deepEqual(stamp(msg, facts({ greeted: msg.type !== 'hello' })), want));
  }
  it('a late task.unblocked of a task that has returned is dropped quietly', () => {
    assert.equal(stamp(m({ type: 'task.unblocked', taskId: 'd.t0' }), facts({ task: undefined })), undefined);
  });
});
