import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  ActorDiedError, ActorNameTakenError, ActorNotFoundError, errorFromInfo, GetTimeoutError, ObjectLostError, RaylaunchRuntimeError,
  SerializationError, TaskCancelledError, TaskError, WorkerCrashedError,
} from '../../../src/client/errors.js';
import { errorInfo } from '../../../src/protocol/error-info.js';
import type { ErrorInfo } from '../../../src/protocol/messages.js';

/** A record with every fact set, as the head or a worker process would send it for `kind`. */
const record = (kind: ErrorInfo['kind'], name?: string): ErrorInfo => errorInfo({
  kind, name, message: `${kind} happened`, stack: 'RangeError: too big\n    at check (job.ts:5:11)', taskName: 'Counter.incr', nodeId: 'n1',
  pid: 42, actorId: 'a1', actorName: 'shared', namespace: 'team', objectId: 'o1', attempts: 4,
});

describe('errors from failure records (errorFromInfo)', () => {
  const CASES: [ErrorInfo['kind'], abstract new (...a: never[]) => RaylaunchRuntimeError, Record<string, unknown>][] = [
    ['task', TaskError, { name: 'TaskError', remoteName: 'RangeError', remoteStack: 'RangeError: too big\n    at check (job.ts:5:11)', taskName: 'Counter.incr', nodeId: 'n1', pid: 42 }],
    ['crashed', WorkerCrashedError, { name: 'WorkerCrashedError', taskName: 'Counter.incr', attempts: 4, nodeId: 'n1', pid: 42 }],
    ['cancelled', TaskCancelledError, { name: 'TaskCancelledError', taskName: 'Counter.incr' }],
    ['job-ended', TaskCancelledError, { name: 'TaskCancelledError', taskName: 'Counter.incr' }],
    ['lost', ObjectLostError, { name: 'ObjectLostError', objectId: 'o1', nodeId: 'n1' }],
    ['serialization', SerializationError, { name: 'SerializationError', taskName: 'Counter.incr', path: undefined }],
    ['actor-died', ActorDiedError, { name: 'ActorDiedError', actorId: 'a1', taskName: 'Counter.incr', nodeId: 'n1' }],
    ['name-taken', ActorNameTakenError, { name: 'ActorNameTakenError', actorName: 'shared', namespace: 'team', actorId: 'a1' }],
    ['not-found', ActorNotFoundError, { name: 'ActorNotFoundError', actorName: 'shared', namespace: 'team' }],
    ['placement', RaylaunchRuntimeError, { name: 'RaylaunchRuntimeError' }],
  ];
  for (const [kind, cls, fields] of CASES) {
    it(`the ${kind} record raises ${cls.name} with its facts as fields`, () => {
      const e = errorFromInfo(record(kind, kind === 'task' ? 'RangeError' : undefined));
      assert.equal(e.constructor, cls);
      assert.ok(e instanceof RaylaunchRuntimeError);
      assert.equal(e.message, `${kind} happened`);
      for (const [k, v] of Object.entries(fields)) assert.deepEqual((e as unknown as Record<string, unknown>)[k], v, `${cls.name}.${k}`);
    });
  }

  it("a TaskError's stack is the remote stack and where it was raised", () => {
    const e = errorFromInfo(record('task', 'RangeError'));
    assert.equal(e.stack, 'RangeError: too big\n    at check (job.ts:5:11)\n    (raised in task Counter.incr on node n1, pid 42)');
  });

  it("a TaskError without a remote stack shows the remote name and message", () => {
    const e = errorFromInfo(errorInfo({ kind: 'task', name: 'TypeError', message: 'no', taskName: 'f', nodeId: 'n2', pid: 3 }));
    assert.equal(e.stack, 'TypeError: no\n    (raised in task f on node n2, pid 3)');
  });

  it('facts the record lacks read as empty, not as another error\'s', () => {
    const e = errorFromInfo(errorInfo({ kind: 'crashed', message: 'died' }));
    assert.ok(e instanceof WorkerCrashedError);
    assert.deepEqual([e.taskName, e.attempts, e.nodeId, e.pid], ['', 0, '', 0]);
  });
});

describe('error classes made by hand', () => {
  it('take only a message, as the declared API allows, and keep a cause', () => {
    const cause = new Error('underneath');
    const e = new ActorDiedError('gone', { cause });
    assert.deepEqual([e.message, e.actorId, e.taskName, e.nodeId, e.cause], ['gone', '', '', '', cause]);
    assert.equal(new GetTimeoutError('late').objectId, undefined);
    assert.equal(new TaskError('plain').stack?.startsWith('TaskError: plain\n'), true, 'no remote facts: a local stack');
  });

  it('carry the data they are given', () => {
    const e = new GetTimeoutError('late', { timeoutMs: 300, objectId: 'o1', taskName: 'slow' });
    assert.deepEqual([e.timeoutMs, e.objectId, e.taskName, e.placementGroupId], [300, 'o1', 'slow', undefined]);
  });
});
