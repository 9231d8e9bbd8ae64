import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { HeadUnavailableError, ObjectLostError, OutageBufferFullError } from '../../../src/client/errors.js';
import { OUTAGE_BUFFER_LIMIT } from '../../../src/client/reconnect.js';
import { type Identity, ReconnectRefused, Runtime } from '../../../src/client/runtime.js';
import { encodeValue } from '../../../src/client/serialize.js';
import type { MessageOf } from '../../../src/protocol/messages.js';
import { FakeTransport } from '../../helpers/fake-transport.js';


const identity: Identity = { role: 'driver', clientId: 'driver-1', jobId: 'job-1', nodeId: 'head', inlineLimit: 1000, namespace: 'job-1' };
const inline = (v: unknown) => ({ kind: 'inline' as const, data: encodeValue(v, 'v').bytes });
const fn = { key: 'f', name: 'f' };

/**
 * A driver whose way back to a head is scripted: each attempt takes the next of `heads` (a transport, or an error to
 * fail that attempt with); `attempts` resolves each time one is made.
 */
function driver(heads: (FakeTransport | Error)[], timeoutMs = 60_000) {
  const first = new FakeTransport({ closeDrops: true });
  const written: string[] = [];
  let tried = 0;
  const rt = new Runtime(first, identity, {
    output: { write: (_s, text) => { written.push(text); } },
    reconnect: {
      timeoutMs,
      attempt: async () => {
        const next = heads[tried++];
        if (next === undefined) throw new Error('no head at that address');
        if (next instanceof Error) throw next;
        return next;
      },
    },
  });
  return { rt, first, written };
}

/** Plays a restarted head's answer to resume.ask: it has exactly `known` of the ids asked about. */
async function answerResume(head: FakeTransport, known: string[]): Promise<MessageOf<'resume.ask'>> {
  const ask = await head.next('resume.ask');
  head.deliver({ type: 'resume.known', reqId: ask.reqId, client: 'driver-1', ids: ask.ids.filter((id) => known.includes(id)) });
  return ask;
}

const flushed = () => new Promise((r) => setImmediate(r));

describe('Runtime: a driver whose connection to the head drops', () => {
  it('keeps its pending get, asks the head back which submissions it has, sends the lost task again with the same ids, and gets the value', async () => {
    const next = new FakeTransport({ closeDrops: true });
    const { rt, first } = driver([next]);
    const ref = rt.submitTask(fn, [1], { maxRetries: 3 });
    const done = rt.submitTask(fn, [2], { maxRetries: 3 });
    await flushed();
    const [lostTask, knownTask] = first.of('submit').map((m) => m.task);
    assert.ok(lostTask && knownTask);
    const value = rt.getOne(ref.id, undefined);
    first.drop('connection closed (1006)');

    const ask = await answerResume(next, [knownTask.returnId]);
    assert.deepEqual(ask.ids, [lostTask.returnId, knownTask.returnId]);
    await next.next('submit');
    await flushed();
    assert.deepEqual(next.of('submit').map((m) => m.task.taskId), [lostTask.taskId], 'only what the head lost, under its first id');
    assert.ok(next.of('fetch').flatMap((m) => m.ids).includes(ref.id), 'the pending get is asked for again');
    next.deliver({ type: 'object', client: 'driver-1', id: ref.id, value: inline(42) });
    assert.equal(await value, 42);
    next.deliver({ type: 'object', client: 'driver-1', id: done.id, value: inline(7) });
    assert.equal(await rt.getOne(done.id, undefined), 7);
  });

  it('calls made while it has no head wait in the driver and go out after the resume, in the order they were made', async () => {
    const next = new FakeTransport({ closeDrops: true });
    const { rt, first } = driver([next]);
    first.drop('connection closed (1006)');
    const a = rt.submitTask(fn, [1], { maxRetries: 3 });
    const p = rt.put('x');
    const b = rt.submitTask(fn, [2], { maxRetries: 3 });
    await answerResume(next, []);
    await next.next('submit');
    await flushed();
    const made = next.sent.filter((m) => m.type === 'submit' || m.type === 'put').map((m) => (m.type === 'submit' ? m.task.returnId : m.type === 'put' ? m.id : ''));
    assert.deepEqual(made, [a.id, p.id, b.id], 'each once, in order');
    assert.equal(first.of('submit').length, 0);
  });

  it('a put the restarted head lost is sent again, one it has is not', async () => {
    const next = new FakeTransport({ closeDrops: true });
    const { rt, first } = driver([next]);
    const kept = rt.put('kept');
    const lost = rt.put('lost');
    await flushed();
    first.drop('connection closed (1006)');
    await answerResume(next, [kept.id]);
    await next.next('put');
    await flushed();
    assert.deepEqual(next.of('put').map((m) => m.id), [lost.id]);
  });

  it('an actor call the restarted head lost is not sent again (it may not run twice): its get raises ObjectLostError', async () => {
    const next = new FakeTransport({ closeDrops: true });
    const { rt, first } = driver([next]);
    const ref = rt.callActor({ actorId: 'driver-1.a0', cls: 'Counter', methods: ['incr'] }, 'incr', []);
    await flushed();
    first.drop('connection closed (1006)');
    await answerResume(next, []);
    await assert.rejects(rt.getOne(ref.id, undefined), (e: unknown) => e instanceof ObjectLostError && /Counter\.incr was lost with the head/.test(e.message));
    assert.equal(next.of('actor.call').length, 0);
  });

  it(`past ${OUTAGE_BUFFER_LIMIT} calls without a head, the next call throws OutageBufferFullError and is not made`, async () => {
    const next = new FakeTransport({ closeDrops: true });
    const { rt, first } = driver([next]);
    first.drop('connection closed (1006)');
    for (let i = 0; i < OUTAGE_BUFFER_LIMIT; i++) rt.put(i);
    assert.throws(() => rt.submitTask(fn, [1], { maxRetries: 3 }), OutageBufferFullError);
    await answerResume(next, []);
    await next.next('put');
    await flushed();
    assert.equal(next.of('put').length, OUTAGE_BUFFER_LIMIT);
    assert.equal(next.of('submit').length, 0, 'the refused call was never made');
  });

  it('no head within the reconnect timeout: pending gets reject with HeadUnavailableError, and so does every later call', async () => {
    const { rt, first } = driver([], 1);
    const ref = rt.submitTask(fn, [1], { maxRetries: 3 });
    const value = rt.getOne(ref.id, undefined);
    first.drop('connection closed (1006)');
    await assert.rejects(value, (e: unknown) => e instanceof HeadUnavailableError && /within 0 s/.test(e.message) && /no head at that address/.test(e.message));
    assert.throws(() => rt.put(1), HeadUnavailableError);
  });

  it('a head that will not take the driver back (its job ended meanwhile) ends the wait at once with HeadUnavailableError', async () => {
    const { rt, first } = driver([new ReconnectRefused('job job-1 is not running on this cluster')]);
    const value = rt.getOne('driver-1.t0.r', undefined);
    first.drop('connection closed (1006)');
    await assert.rejects(value, (e: unknown) => e instanceof HeadUnavailableError && /job job-1 is not running/.test(e.message));
  });

  it('a head that drops it again while it resumes is left for the next one, which is asked again', async () => {
    const flaky = new FakeTransport({ closeDrops: true });
    const next = new FakeTransport({ closeDrops: true });
    const { rt, first } = driver([flaky, next]);
    const ref = rt.submitTask(fn, [1], { maxRetries: 3 });
    await flushed();
    first.drop('connection closed (1006)');
    await flaky.next('resume.ask');
    flaky.drop('connection closed (1006)');
    await answerResume(next, []);
    await next.next('submit');
    next.deliver({ type: 'object', client: 'driver-1', id: ref.id, value: inline(5) });
    assert.equal(await rt.getOne(ref.id, undefined), 5);
  });

  it('a connection the driver closes itself is not reconnected', async () => {
    const { rt } = driver([new FakeTransport({ closeDrops: true })]);
    await rt.close();
    assert.throws(() => rt.put(1), /the connection to the cluster is closed: closed by the driver/);
  });
});
