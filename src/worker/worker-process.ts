/**
 * A worker process: runs tasks of one job, one at a time, for its agent. It loads the job's bundle (which
 * registers the job's remote functions) and talks to the cluster only through the agent's IPC channel.
 */
import { pathToFileURL } from 'node:url';
import { context } from '../client/context.js';
import { SerializationError } from '../client/errors.js';
import { lookup, closeRegistry } from '../client/registry.js';
import { Runtime } from '../client/runtime.js';
import { decodeValue, encodeValue } from '../client/serialize.js';
import { ipcTransport } from '../client/transport.js';
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
const rt = new Runtime(ipcTransport(), identity);
// Without its agent a worker process has nothing to do.
process.on('disconnect', () => process.exit(0));
context.runtime = rt;
let taskName = 'worker';

// Task output goes to the driver (prefixed there) and the job's log, in order with the task's result.
for (const stream of ['stdout', 'stderr'] as const) {
  const target = process[stream];
  target.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void), cb?: () => void) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    rt.send({ type: 'log', jobId: identity.jobId, source: taskName, nodeId: identity.nodeId, pid: process.pid, stream, text });
    const done = typeof encoding === 'function' ? encoding : cb;
    done?.();
    return true;
  }) as typeof target.write;
}

let loadError: Error | undefined;
context.loadingModule = true;
try {
  await import(pathToFileURL(env('RAYLAUNCH_BUNDLE')).href);
} catch (e) {
  loadError = e instanceof Error ? e : new Error(String(e));
} finally {
  context.loadingModule = false;
  closeRegistry();
}

function errorInfo(e: unknown, kind: ErrorInfo['kind'], name: string): ErrorInfo {
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind, name: err.name, message: err.message, stack: err.stack ?? '', taskName: name, nodeId: identity.nodeId, pid: process.pid };
}

async function argValue(arg: MessageOf<'task.run'>['task']['args'][number], deps: Record<string, ObjectValue>): Promise<unknown> {
  if ('value' in arg) return decodeValue(arg.value);
  const value = deps[arg.ref];
  if (!value) throw new Error(`dependency ${arg.ref} was not resolved`);
  rt.learn(arg.ref, value);
  return rt.getOne(arg.ref, undefined);
}

async function run(m: MessageOf<'task.run'>): Promise<void> {
  const { task } = m;
  taskName = task.name;
  rt.currentTaskId = task.taskId;
  let value: ObjectValue;
  try {
    if (loadError) throw new Error(`the job module failed to load in a worker process: ${loadError.stack ?? loadError.message}`);
    const fn = lookup(task.fn);
    if (!fn) throw new Error(`no remote function is registered under "${task.fn}" in this job's module`);
    const args = await Promise.all(task.args.map((a) => argValue(a, m.deps)));
    const result = await fn(...args);
    try {
      value = { kind: 'inline', data: encodeValue(result, `the return value of ${task.name}()`).bytes };
    } catch (e) {
      value = { kind: 'error', error: errorInfo(e, e instanceof SerializationError ? 'serialization' : 'task', task.name) };
    }
  } catch (e) {
    value = { kind: 'error', error: errorInfo(e, 'task', task.name) };
  }
  rt.currentTaskId = undefined;
  taskName = 'worker';
  rt.send({ type: 'task.done', taskId: task.taskId, attempt: m.attempt, value, pid: process.pid });
}

rt.onOther = (m: Message) => {
  if (m.type === 'task.run') void run(m);
};
rt.send({ type: 'hello', role: 'worker', clientId: identity.clientId, jobId: identity.jobId, nodeId: identity.nodeId });
