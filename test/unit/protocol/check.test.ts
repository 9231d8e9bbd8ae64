import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { checkMessages, MalformedMessageError, messageProblem } from '../../../src/protocol/check.js';
import { decodeFrame, encodeFrame } from '../../../src/protocol/codec.js';
import { errorInfo } from '../../../src/protocol/error-info.js';
import { type Message, MESSAGES, type TaskSpec } from '../../../src/protocol/messages.js';
import { headHarness } from '../../helpers/head-harness.js';

const bytes = new Uint8Array([1, 2, 3]);
const task: TaskSpec = {
  taskId: 'd.t0', jobId: 'job-1', owner: 'd', fn: 'job.mjs#add', name: 'add', args: [{ value: bytes }, { ref: 'd.o1' }], deps: ['d.o1'],
  returnId: 'd.t0.r', resources: { CPU: 10_000 }, maxRetries: 3, retryExceptions: false,
};
const config = applyDefaults({ provider: { type: 'process' }, head_node_type: 'head', available_node_types: { head: { resources: { CPU: 1 } } } });

/** Messages as the processes send them, optional fields with and without. */
const VALID: [string, Message][] = [
  ['a worker process\'s hello', { type: 'hello', role: 'worker', clientId: 'n.w0', jobId: 'job-1', nodeId: 'n' }],
  ['a hand-started driver\'s hello with its own module', { type: 'hello', role: 'driver', clientId: 'd', bundle: bytes, name: 'job.mjs' }],
  ['a submit', { type: 'submit', task }],
  ['a submit into any bundle of a placement group, with its parent', { type: 'submit', task: { ...task, parent: 'd.t9', placement: { pgId: 'pg', bundleIndex: -1 } } }],
  ['a submit whose optional fields are present but undefined', { type: 'submit', task: { ...task, parent: undefined, placement: undefined } }],
  ['a task.run with resolved dependencies of every kind', {
    type: 'task.run', task, attempt: 0, deps: {
      a: { kind: 'inline', data: bytes }, b: { kind: 'stored', nodeId: 'n', size: 3, address: '127.0.0.1:1' },
      c: { kind: 'error', error: errorInfo({ kind: 'lost', message: 'gone', objectId: 'c' }) },
    },
  }],
  ['a task.done carrying a Buffer (what v8 gives back)', { type: 'task.done', taskId: 'd.t0', attempt: 1, value: { kind: 'inline', data: Buffer.from('x') }, pid: 42 }],
  ['an object.data handed over as a file', { type: 'object.data', reqId: 3, client: 'n.w0', id: 'o', data: null, file: '/dev/shm/x' }],
  ['a job.exit of a driver killed by a signal', { type: 'job.exit', jobId: 'job-1', state: 'FAILED', exitCode: null }],
  ['an actor.found that found nothing', { type: 'actor.found', reqId: 0, client: 'd', actor: null }],
  ['a pg.create', { type: 'pg.create', pg: { pgId: 'pg', jobId: 'job-1', owner: 'd', strategy: 'STRICT_SPREAD', bundles: [{ CPU: 10_000 }, {}] } }],
  ['a config.update with the config the CLI loaded', { type: 'config.update', reqId: 1, client: 'cli', config }],
  ['a config.updated', { type: 'config.updated', reqId: 1, client: 'cli', applied: [{ path: 'max_workers', from: 2, to: { any: 'value' } }] }],
  ['a job.submit with a working directory', { type: 'job.submit', reqId: 0, name: 'job.ts', bundle: bytes, args: ['--rounds', '3'], env: { MODE: 'fast' }, workingDir: bytes }],
];

/** What peers sent in the reports and what fuzzing tries first: each refused, saying where. */
const INVALID: [string, unknown, RegExp][] = [
  ['a submit without its task', { type: 'submit' }, /^a malformed submit message \(\/task: expected required property\)$/],
  ['a put without its value (the worker process of the report)', { type: 'put', id: 'x', owner: 'o', jobId: 'y' }, /malformed put message \(\/value: /],
  ['a put whose inline data is a list of numbers', { type: 'put', id: 'x', owner: 'o', jobId: 'y', value: { kind: 'inline', data: [1, 2] } }, /malformed put message \(\/value/],
  ['a task whose resources are null', { type: 'submit', task: { ...task, resources: null } }, /\(\/task\/resources: /],
  ['a task asking for NaN CPUs', { type: 'submit', task: { ...task, resources: { CPU: Number.NaN } } }, /\(\/task\/resources\/CPU: /],
  ['a dependency under a key with a line break, of no known kind', { type: 'task.run', task, attempt: 0, deps: { 'a\nb': { kind: 'nope' } } }, /\(\/deps\/a\\nb: /],
  ['a negative attempt', { type: 'task.done', taskId: 't', attempt: -1, value: { kind: 'inline', data: bytes }, pid: 1 }, /\(\/attempt: /],
  ['a fractional request id', { type: 'query', reqId: 0.5, client: 'c' }, /\(\/reqId: /],
  ['a hello of a role no process has', { type: 'hello', role: 'root', clientId: 'c' }, /\(\/role: /],
  ['an unknown type', { type: 'rm -rf' }, /^no message has the type "rm -rf"$/],
  ['a type every object inherits', { type: 'constructor' }, /^no message has the type "constructor"$/],
  ['a type named __proto__', JSON.parse('{"type":"__proto__"}'), /^no message has the type "__proto__"$/],
  ['a message without a type', { reqId: 1 }, /^a message without a type$/],
  ['a number', 7, /^a message must be an object, not number$/],
  ['null', null, /^a message must be an object, not null$/],
  ['a config.update whose max_workers is a string', { type: 'config.update', reqId: 1, client: 'c', config: { ...config, max_workers: 'many' } }, /\(\/config\/max_workers: /],
];

describe('the protocol\'s message check (src/protocol/check.ts)', () => {
  for (const [title, m] of VALID) it(`takes ${title}`, () => assert.equal(messageProblem(m), undefined));

  it('takes the status the head\'s read model answers a query with', () => {
    const h = headHarness({ config, clock: { now: () => 0 } });
    assert.equal(messageProblem({ type: 'query.reply', reqId: 0, client: 'c', status: h.readModel.status(null) }), undefined);
  });

  for (const [title, value, why] of INVALID) it(`refuses ${title}, saying what is wrong where`, () => assert.match(messageProblem(value) ?? '', why));

  it('every message type has a schema (a bare {type} is malformed, not unknown)', () => {
    for (const type of Object.keys(MESSAGES)) assert.match(messageProblem({ type }) ?? '', new RegExp(`^a malformed ${type.replace('.', '\\.')} message \\(`), type);
  });

  it('a batch is taken whole or not at all: one bad message refuses it, naming that one', () => {
    const good: Message = { type: 'heartbeat', nodeId: 'n' };
    assert.deepEqual(checkMessages([good, good]), [good, good]);
    assert.throws(() => checkMessages([good, { type: 'heartbeat' }, good]), (e: unknown) => e instanceof MalformedMessageError && /malformed heartbeat message/.test(e.message));
    assert.throws(() => checkMessages(good), /expected a list of messages, got object/);
  });

  it('a frame round-trips through encode and decode; bytes that are no v8 value, or no list of messages, are refused', () => {
    const frame: Message[] = [{ type: 'submit', task }, { type: 'object', client: 'd', id: 'o', value: { kind: 'inline', data: bytes } }];
    assert.deepEqual(decodeFrame(encodeFrame(frame)).map((m) => m.type), ['submit', 'object']);
    assert.throws(() => decodeFrame(new Uint8Array([0xff, 0x0f, 0x6f, 0x7b])), /^Error: malformed frame: /);
    assert.throws(() => decodeFrame(serialize([{ type: 'submit' }])), MalformedMessageError);
  });
});
