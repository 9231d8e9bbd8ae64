import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { makeHandle } from '../../../src/client/actor-handle.js';
import { ActorDiedError, GetTimeoutError, ObjectLostError, RaylaunchRuntimeError } from '../../../src/client/errors.js';
import { ObjectRef } from '../../../src/client/object-ref.js';
import type { OutputSink } from '../../../src/client/output.js';
import { type Identity, Runtime, type RuntimeHooks } from '../../../src/client/runtime.js';
import { encodeValue } from '../../../src/client/serialize.js';
import { errorInfo } from '../../../src/protocol/error-info.js';
import type { Message, MessageOf } from '../../../src/protocol/messages.js';
import { FakeTransport } from '../../helpers/fake-transport.js';
import { MAX_LIST_ITEMS } from '../../../src/protocol/shapes.js';


const identity: Identity = { role: 'driver', clientId: 'driver-1', jobId: 'job-1', nodeId: 'head', inlineLimit: 1000, namespace: 'job-1' };

function runtime(hooks: Partial<RuntimeHooks> = {}): { rt: Runtime; t: FakeTransport; written: [string, string][] } {
  const t = new FakeTransport();
  const written: [string, string][] = [];
  const output: OutputSink = { write: (stream, text) => { written.push([stream, text]); } };
  return { rt: new Runtime(t, identity, { output, ...hooks }), t, written };
}

const inline = (v: unknown) => ({ kind: 'inline' as const, data: encodeValue(v, 'v').bytes });
const stored = { kind: 'stored' as const, nodeId: 'n2', size: 3, address: '127.0.0.1:1' };
const lostConnection = (e: unknown) => e instanceof RaylaunchRuntimeError && e.message === 'lost the connection to the cluster: the head went away';

describe('Runtime: a client of the cluster, fed messages directly', () => {
  it("writes the cluster's task output to its output sink, prefixed with where it ran, and warnings to its stderr", () => {
    const { t, written } = runtime();
    t.deliver(
      { type: 'log', jobId: 'job-1', source: 'square', nodeId: 'n1', pid: 7, stream: 'stdout', text: 'a\nb\n' },
      { type: 'log', jobId: 'job-1', source: 'Counter.incr', nodeId: 'n1', pid: 8, stream: 'stderr', text: 'oops' },
      { type: 'warning', client: 'driver-1', message: 'no node type fits' },
    );
    assert.deepEqual(written, [
      ['stdout', '(square node=n1 pid=7) a\n(square node=n1 pid=7) b\n'],
      ['stderr', '(Counter.incr node=n1 pid=8) oops\n'],
      ['stderr', 'raylaunch: warning: no node type fits\n'],
    ]);
  });

  it('hands messages that are not for the job API to onOther', () => {
    const other: Message['type'][] = [];
    const { t } = runtime({ onOther: (m) => other.push(m.type) });
    t.deliver({ type: 'task.cancel', taskId: 't1' }, { type: 'warning', client: 'driver-1', message: 'w' }, { type: 'actor.stop', actorId: 'a1' });
    assert.deepEqual(other, ['task.cancel', 'actor.stop']);
  });

  it('answers each query and lookup with the reply that carries its reqId', async () => {
    const { rt, t } = runtime();
    const status = rt.status();
    const lookup = rt.lookupActor('shared', 'team');
    const [q, l] = await Promise.all([t.next('query'), t.next('actor.lookup')]);
    t.deliver({ type: 'actor.found', reqId: l.reqId, client: 'driver-1', actor: { actorId: 'a1', cls: 'C', methods: [] } });
    assert.deepEqual(await lookup, { actorId: 'a1', cls: 'C', methods: [] });
    const s = { clusterName: 'c' } as MessageOf<'query.reply'>['status'];
    t.deliver({ type: 'query.reply', reqId: q.reqId, client: 'driver-1', status: s });
    assert.equal(await status, s);
  });

  it('rejects queries, lookups and pulls in flight when the connection closes, and refuses new calls', async () => {
    const { rt, t } = runtime({ fetchDirect: async () => undefined });
    t.deliver({ type: 'object', client: 'driver-1', id: 'big', value: stored });
    const pending = [rt.status(), rt.lookupActor('x', 'y')];
    const pull = rt.getOne('big', undefined);
    await t.next('object.pull');
    t.drop('the head went away');
    for (const p of pending) await assert.rejects(p, lostConnection);
    // A pull that can never be answered reads as the object's loss.
    await assert.rejects(pull, (e: unknown) => e instanceof ObjectLostError && e.objectId === 'big' && e.nodeId === 'n2');
    assert.throws(() => rt.put(1), /the connection to the cluster is closed: the head went away/);
  });

  it(`asks for more objects than one message may list (${MAX_LIST_ITEMS}) in several fetches, each id once`, async () => {
    const { rt, t } = runtime();
    const ids = Array.from({ length: MAX_LIST_ITEMS + 5 }, (_, i) => `o${i}`);
    for (const id of ids) void rt.getOne(id, undefined).catch(() => undefined);
    await t.next('fetch');
    await new Promise((resolve) => setImmediate(resolve));
    const fetches = t.sent.filter((m): m is MessageOf<'fetch'> => m.type === 'fetch');
    assert.deepEqual(fetches.map((m) => m.ids.length), [MAX_LIST_ITEMS, 5]);
    assert.deepEqual(fetches.flatMap((m) => m.ids), ids);
  });

  it('drops a fetch it had queued when the connection closes before it is sent', async () => {
    const { rt, t } = runtime();
    const got = rt.getOne('unknown', undefined);
    t.drop('the head went away');
    await assert.rejects(got, lostConnection);
    // The queued fetch goes out (or not) on the next turn of the event loop; sending on a closed connection throws.
    await new Promise((r) => setImmediate(r));
    assert.equal(t.sent.some((m) => m.type === 'fetch'), false);
  });

  it('after the connection closed, get() of an unknown object rejects and wait() returns what is ready, at once', async () => {
    const { rt, t } = runtime();
    t.deliver({ type: 'object', client: 'driver-1', id: 'known', value: inline(1) });
    t.drop('the head went away');
    await assert.rejects(rt.getOne('unknown', undefined), lostConnection);
    assert.deepEqual(await rt.wait(['known', 'unknown'], 2, undefined), new Set(['known']));
    assert.equal(await rt.getOne('known', undefined), 1);
  });

  it('fetches a stored object from its node through fetchDirect, and through the head when that fails', async () => {
    const bytes = encodeValue({ big: true }, 'v').bytes;
    let direct: 'answers' | 'fails' = 'answers';
    const { rt, t } = runtime({ fetchDirect: async () => { if (direct === 'fails') throw new Error('unreachable'); return bytes; } });
    t.deliver({ type: 'object', client: 'driver-1', id: 'o1', value: stored }, { type: 'object', client: 'driver-1', id: 'o2', value: stored });
    assert.deepEqual(await rt.getOne('o1', undefined), { big: true });
    assert.equal(t.sent.some((m) => m.type === 'object.pull'), false);
    direct = 'fails';
    const viaHead = rt.getOne('o2', undefined);
    const pull = await t.next('object.pull');
    assert.deepEqual([pull.id, pull.nodeId], ['o2', 'n2']);
    t.deliver({ type: 'object.data', reqId: pull.reqId, client: 'driver-1', id: 'o2', data: bytes });
    assert.deepEqual(await viaHead, { big: true });
  });

  it("gets an object that failed as its record's error, with the record's facts", async () => {
    const { rt, t } = runtime();
    const error = errorInfo({ kind: 'actor-died', message: 'actor C was killed', taskName: 'C.m', actorId: 'a1', nodeId: 'n1' });
    t.deliver({ type: 'object', client: 'driver-1', id: 'c1.r', value: { kind: 'error', error } });
    await assert.rejects(rt.getOne('c1.r', undefined), (e: unknown) => e instanceof ActorDiedError && e.actorId === 'a1' && e.taskName === 'C.m');
  });

  it('asks the head for an object it does not know, once, and gets it when pushed', async () => {
    const { rt, t } = runtime();
    const got = rt.getOne('elsewhere', undefined);
    void rt.getOne('elsewhere', undefined);
    assert.deepEqual((await t.next('fetch')).ids, ['elsewhere']);
    t.deliver({ type: 'object', client: 'driver-1', id: 'elsewhere', value: inline(5) });
    assert.equal(await got, 5);
  });

  it('makes the actor handles inside a value usable through reviveHandle', async () => {
    const revived: string[] = [];
    const { rt, t } = runtime({ reviveHandle: (ref) => { revived.push(ref.actorId); return { usable: ref.actorId }; } });
    const handle = makeHandle({ actorId: 'a1', cls: 'C', methods: ['m'] }, () => ObjectRef.of('x'));
    t.deliver({ type: 'object', client: 'driver-1', id: 'o1', value: inline({ counter: handle }) });
    assert.deepEqual(await rt.getOne('o1', undefined), { counter: { usable: 'a1' } });
    assert.deepEqual(rt.decode(encodeValue([handle], 'v').bytes), [{ usable: 'a1' }]);
    assert.deepEqual(revived, ['a1', 'a1']);
  });

  it('a get() past its deadline names the call that makes the object', async () => {
    const { rt } = runtime();
    const ref = rt.submitTask({ key: 'slow', name: 'slow' }, [], {});
    await assert.rejects(rt.getOne(ref.id, { deadline: Date.now() - 1, ms: 300 }), (e: unknown) => e instanceof GetTimeoutError
      && e.message === 'get() timed out after 300 ms waiting for slow' && e.taskName === 'slow' && e.objectId === ref.id && e.timeoutMs === 300);
  });

  it('closing flushes what is queued, closes the transport, then runs onClosed', async () => {
    const order: string[] = [];
    const { rt, t } = runtime({ onClosed: async () => { order.push(`onClosed (transport closed: ${String(t.closed)})`); } });
    rt.killActor('a1', true);
    await rt.close();
    assert.deepEqual(t.sent.slice(-2).map((m) => m.type), ['actor.kill', 'driver.exit']);
    assert.deepEqual(order, ['onClosed (transport closed: true)']);
  });

  it('a driver tells the head it exits, with its exit code, once, after what it queued; a worker process does not', async () => {
    const { rt, t } = runtime();
    rt.sayExit(3);
    await rt.close(0);
    assert.deepEqual(t.of('driver.exit'), [{ type: 'driver.exit', exitCode: 3 }]);
    const worker = new FakeTransport();
    await new Runtime(worker, { ...identity, role: 'worker' }, { output: { write: () => undefined } }).close(0);
    assert.deepEqual(worker.of('driver.exit'), []);
  });
});
