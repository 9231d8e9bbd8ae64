import { deserialize, serialize } from 'node:v8';
import { checkMessages } from './check.js';
import type { Message } from './messages.js';

/**
 * A frame is a batch of messages, v8-serialized (binary payloads travel as they are). Pure: no sockets here.
 */
export function encodeFrame(messages: readonly Message[]): Buffer {
  return serialize(messages);
}

/** Decodes a frame; throws unless it is a list of messages each of its type's shape (check.ts). */
export function decodeFrame(data: Uint8Array): Message[] {
  let value: unknown;
  try {
    value = deserialize(data);
  } catch (e) {
    throw new Error(`malformed frame: ${(e as Error).message}`, { cause: e });
  }
  return checkMessages(value);
}
