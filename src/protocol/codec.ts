import { deserialize, serialize } from 'node:v8';
import type { Message } from './messages.js';

/**
 * A frame is a batch of messages, v8-serialized (binary payloads travel as they are). Pure: no sockets here.
 */
export function encodeFrame(messages: readonly Message[]): Buffer {
  return serialize(messages);
}

/** Decodes a frame; anything that is not a list of typed messages is refused. */
export function decodeFrame(data: Uint8Array): Message[] {
  const value: unknown = deserialize(data);
  if (!Array.isArray(value) || !value.every((m) => typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string')) {
    throw new Error('malformed frame: expected a list of messages');
  }
  return value as Message[];
}
