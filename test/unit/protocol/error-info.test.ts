import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { errorInfo } from '../../../src/protocol/error-info.js';
import type { ErrorInfo } from '../../../src/protocol/messages.js';

describe('errorInfo(): the one factory of failure records', () => {
  it('fills what is not known with the empty values every reader expects', () => {
    assert.deepEqual(errorInfo({ kind: 'placement', message: 'no room' }),
      { kind: 'placement', name: 'RaylaunchRuntimeError', message: 'no room', stack: '', taskName: '', nodeId: '', pid: 0 });
  });

  const CLASSES: [ErrorInfo['kind'], string][] = [
    ['task', 'Error'], ['crashed', 'WorkerCrashedError'], ['cancelled', 'TaskCancelledError'], ['job-ended', 'TaskCancelledError'],
    ['lost', 'ObjectLostError'], ['serialization', 'SerializationError'], ['actor-died', 'ActorDiedError'],
    ['name-taken', 'ActorNameTakenError'], ['not-found', 'ActorNotFoundError'], ['placement', 'RaylaunchRuntimeError'],
  ];
  for (const [kind, name] of CLASSES) {
    it(`names a ${kind} failure ${name} unless told otherwise`, () => assert.equal(errorInfo({ kind, message: 'm' }).name, name));
  }

  it("keeps the name it is given (a task's own error class)", () => {
    assert.equal(errorInfo({ kind: 'task', name: 'RangeError', message: 'too big' }).name, 'RangeError');
  });

  it('keeps every fact it is given', () => {
    const full: ErrorInfo = {
      kind: 'name-taken', name: 'ActorNameTakenError', message: 'taken', stack: 's', taskName: 'Counter', nodeId: 'n1', pid: 7,
      actorId: 'a1', actorName: 'shared', namespace: 'team', objectId: 'o1', attempts: 2,
    };
    assert.deepEqual(errorInfo(full), full);
  });

  it('carries no keys for facts it was not given, nor for facts given as undefined', () => {
    const info = errorInfo({ kind: 'actor-died', message: 'gone', actorId: 'a1', actorName: undefined, attempts: undefined });
    assert.deepEqual(Object.keys(info).filter((k) => !['kind', 'name', 'message', 'stack', 'taskName', 'nodeId', 'pid'].includes(k)), ['actorId']);
  });
});
