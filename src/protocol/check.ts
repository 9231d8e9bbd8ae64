/**
 * Checks what a peer sent against the protocol's schemas, where it is decoded (every channel: WebSocket, worker
 * IPC, object transfers). Pure.
 */
import { type Message, MESSAGES } from './messages.js';
import { describe, UnionCheck } from './union.js';

/** What a peer sent is not what the protocol allows; the message says what and where. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

const messages = new UnionCheck<Message>(MESSAGES, 'message');

/** Why `value` is not a message of the protocol, or undefined when it is one. */
export function messageProblem(value: unknown): string | undefined {
  return messages.problem(value);
}

/**
 * What a peer sent in one frame or IPC send, as messages: a list of them, each of the shape its type says. Throws
 * MalformedMessageError otherwise, before any of them is acted on (a frame is taken whole or not at all).
 */
export function checkMessages(value: unknown): Message[] {
  if (!Array.isArray(value)) throw new MalformedMessageError(`expected a list of messages, got ${describe(value)}`);
  for (const m of value) {
    const why = messages.problem(m);
    if (why !== undefined) throw new MalformedMessageError(why);
  }
  return value as Message[];
}
