/**
 * A worker process: runs tasks of one job, one at a time, for its agent. It loads the job's bundle (which
 * registers the job's remote functions) and talks to the cluster only through the agent's IPC channel.
 */
import { pathToFileURL } from 'node:url';
import { boundHandle } from '../client/actor-handle.js';
import { bundleSources } from '../client/bundle-sources.js';
import { context } from '../client/context.js';
import { DriverCodeOutsideMainError, SerializationError } from '../client/errors.js';
import { located } from '../client/failure.js';
import { processOutput } from '../client/output.js';
import { lookup, closeRegistry } from '../client/registry.js';
import { callContext, Runtime } from '../client/runtime.js';
import { encodeValue } from '../client/serialize.js';
import { cleanStack } from '../client/stack.js';
import { ipcTransport } from '../client/transport.js';
import { errorInfo } from '../protocol/error-info.js';
import type { ErrorInfo, Message, MessageOf, ObjectValue } from '../protocol/messages.js';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`worker process started without ${k}`);
  return v;
};

const identity = {
  role: 'worker' as const, clientId: env('RAYLAUNCH_CLIENT_ID'), jobId: env('RAYLAUNCH_JOB_ID'), nodeId: env('RAYLAUNCH_NODE_ID'),
  inlineLimit: Number(env('RAYLAUNCH_INLINE_LIMIT')),
};

// What this process runs. `dispatch` gets the agent's messages, which start only after this process's hello (the
// last line of this file), once everything below is set up.
let taskName = 'worker';
let loadError: Pick<ErrorInfo, 'name' | 'message' | 'stack'> | undefined;
// Actor mode: this process hosts one actor.
let instance: Record<string, unknown> | undefined;
let actorName = '';
let maxConcurrency = 1;
let running = 0;
const calls: MessageOf<'actor.run'>[] = [];

const rt = new Runtime(ipcTransport(), { ...identity, namespace: process.env.RAYLAUNCH_NAMESPACE ?? identity.jobId }, {
  output: processOutput, onOther: dispatch, reviveHandle: boundHandle,
});
// Without its agent a worker process has nothing to do.
process.on('disconnect', () => process.exit(0));
context.runtime = rt;
const label = () => callContext.getStore()?.label ?? taskName;

// Task output goes to the driver (prefixed there) and the job's log, in order with the task's result.
for (const stream of ['stdout', 'stderr'] as const) {
  const target = process[stream];
  target.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void), cb?: () => void) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    rt.send({ type: 'log', jobId: identity.jobId, source: label(), nodeId: identity.nodeId, pid: process.pid, stream, text });
    const done = typeof encoding === 'function' ? encoding : cb;
    done?.();
    return true;
  }) as typeof target.write;
}

const bundle = env('RAYLAUNCH_BUNDLE');
context.bundleFile = bundle;

/** What every task of this process fails with when the job's module did not load here. */
function loadFailure(e: unknown): Pick<ErrorInfo, 'name' | 'message' | 'stack'> {
  const err = e instanceof Error ? e : new Error(String(e));
  // Driver code at the top level (worked in the driver, not here): one line naming the user's file and line.
  if (err instanceof DriverCodeOutsideMainError) return { name: err.name, message: located(err, bundleSources(bundle)), stack: '' };
  const message = `the job's module failed to load in a worker process: ${err.message}`;
  const frames = cleanStack(err.stack ?? '', bundleSources(bundle)).split('\n').filter((l) => /^\s+at /.test(l));
  const stack = [`${err.name}: ${message}`, ...frames].join('\n');
  return { name: err.name, message, stack };
}

context.loadingModule = true;
try {
  await import(pathToFileURL(bundle).href);
} catch (e) {
  loadError = loadFailure(e);
} finally {
  context.loadingModule = false;
  closeRegistry();
}

/** The module's load error, as every task of this process reports it. */
class ModuleLoadError extends Error {
  constructor(readonly info: Pick<ErrorInfo, 'name' | 'message' | 'stack'>) {
    super(info.message);
  }
}

function failureOf(e: unknown, kind: ErrorInfo['kind'], name: string): ErrorInfo {
  const where = { kind, taskName: name, nodeId: identity.nodeId, pid: process.pid };
  if (e instanceof ModuleLoadError) return errorInfo({ ...e.info, ...where });
  const err = e instanceof Error ? e : new Error(String(e));
  return errorInfo({ ...where, name: err.name, message: err.message, stack: cleanStack(err.stack ?? '', bundleSources(bundle)) });
}

async function argValue(arg: MessageOf<'task.run'>['task']['args'][number], deps: Record<string, ObjectValue>): Promise<unknown> {
  if ('value' in arg) return rt.decode(arg.value);
  const value = deps[arg.ref];
  if (!value) throw new Error(`dependency ${arg.ref} was not resolved`);
  rt.learn(arg.ref, value);
  return rt.getOne(arg.ref, undefined);
}

function registered(key: string, what: string): (...args: unknown[]) => unknown {
  if (loadError) throw new ModuleLoadError(loadError);
  const fn = lookup(key);
  if (!fn) throw new Error(`no remote ${what} is registered under "${key}" in this job's module`);
  return fn;
}

/** Runs user code and turns its outcome (value, exception, or a value that cannot travel) into an ObjectValue. */
async function outcome(name: string, body: () => Promise<unknown>): Promise<ObjectValue> {
  let result: unknown;
  try {
    result = await body();
  } catch (e) {
    return { kind: 'error', error: failureOf(e, 'task', name) };
  }
  try {
    return { kind: 'inline', data: encodeValue(result, `the return value of ${name}()`).bytes };
  } catch (e) {
    return { kind: 'error', error: failureOf(e, e instanceof SerializationError ? 'serialization' : 'task', name) };
  }
}

async function run(m: MessageOf<'task.run'>): Promise<void> {
  const { task } = m;
  taskName = task.name;
  rt.currentTaskId = task.taskId;
  const value = await callContext.run({ taskId: task.taskId, label: task.name }, () => outcome(task.name, async () => {
    const fn = registered(task.fn, 'function');
    const args = await Promise.all(task.args.map((a) => argValue(a, m.deps)));
    return fn(...args);
  }));
  rt.currentTaskId = undefined;
  taskName = 'worker';
  rt.send({ type: 'task.done', taskId: task.taskId, attempt: m.attempt, value, pid: process.pid });
}

async function startActor(m: MessageOf<'actor.start'>): Promise<void> {
  const { actor } = m;
  rt.actorId = actor.actorId;
  actorName = actor.name;
  taskName = actor.name;
  maxConcurrency = actor.maxConcurrency;
  try {
    const cls = registered(actor.cls, 'class') as unknown as new (...args: unknown[]) => Record<string, unknown>;
    const args = await Promise.all(actor.ctorArgs.map((a) => argValue(a, m.deps)));
    instance = callContext.run({ taskId: `${actor.actorId}.init`, actorId: actor.actorId, label: actor.name }, () => new cls(...args));
    rt.send({ type: 'actor.ready', actorId: actor.actorId, attempt: m.attempt });
  } catch (e) {
    rt.send({ type: 'actor.failed', actorId: actor.actorId, attempt: m.attempt, error: failureOf(e, 'task', actor.name) });
  }
}

/** Calls run in arrival order (the head delivers each caller's calls in order); up to maxConcurrency at once. */
function pumpCalls(): void {
  while (running < maxConcurrency && calls.length > 0) {
    const m = calls.shift() as MessageOf<'actor.run'>;
    running += 1;
    void runCall(m).finally(() => {
      running -= 1;
      pumpCalls();
    });
  }
}

async function runCall(m: MessageOf<'actor.run'>): Promise<void> {
  const { call } = m;
  const name = `${actorName}.${call.method}`;
  const value = await callContext.run({ taskId: call.callId, actorId: call.actorId, label: name }, () => outcome(name, async () => {
    const method = instance?.[call.method];
    if (typeof method !== 'function') throw new TypeError(`${actorName} has no method ${call.method}`);
    const args = await Promise.all(call.args.map((a) => argValue(a, m.deps)));
    return (method as (...a: unknown[]) => unknown).apply(instance, args);
  }));
  rt.send({ type: 'actor.done', callId: call.callId, actorId: call.actorId, attempt: m.attempt, value });
}

/** The agent's messages for this process (the runtime takes those of the job API). */
function dispatch(m: Message): void {
  if (m.type === 'task.run') void run(m);
  else if (m.type === 'actor.start') void startActor(m);
  else if (m.type === 'actor.run') {
    calls.push(m);
    pumpCalls();
  }
}
rt.send({ type: 'hello', role: 'worker', clientId: identity.clientId, jobId: identity.jobId, nodeId: identity.nodeId });
