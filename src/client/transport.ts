import { writeSync } from 'node:fs';
import { checkMessages } from '../protocol/check.js';
import type { Message } from '../protocol/messages.js';

/**
 * How a client reaches the cluster: a WebSocket to the head (drivers) or the IPC channel to its agent (workers).
 * What arrives is checked against the protocol before a handler sees it; a malformed batch, or one its handler
 * fails on, closes the transport (its close handlers hear why), never the process.
 */
export interface Transport {
  send(messages: Message[]): void;
  /** Sets the one handler for incoming batches (a later call replaces it: frames are decoded once). */
  onMessages(handler: (messages: Message[]) => void): void;
  onClose(handler: (reason: string) => void): void;
  close(): Promise<void>;
}

/** A worker process's channel to its agent (child_process IPC, v8 serialization). */
export function ipcTransport(): Transport {
  const closeHandlers: ((reason: string) => void)[] = [];
  let reason: string | undefined;
  const closed = (why: string) => {
    if (reason !== undefined) return;
    reason = why;
    closeHandlers.forEach((h) => h(why));
  };
  process.on('disconnect', () => closed('the agent went away'));
  const refuse = (why: string) => {
    closed(why);
    // To the worker's log file (fd 2) itself: process.stderr is the job's output in a worker process.
    writeSync(2, `raylaunch worker process ${process.pid}: closing the channel to the agent: ${why}\n`);
    process.disconnect?.();
  };
  return {
    send: (messages) => { process.send?.(messages); },
    onMessages: (handler) => {
      process.removeAllListeners('message');
      process.on('message', (value) => {
        if (reason !== undefined) return;
        let msgs: Message[];
        try {
          msgs = checkMessages(value);
        } catch (e) {
          return refuse(`the agent sent ${(e as Error).message}`);
        }
        try {
          handler(msgs);
        } catch (e) {
          refuse(`a message from the agent could not be handled (${(e as Error).message})`);
        }
      });
    },
    onClose: (handler) => { closeHandlers.push(handler); },
    close: async () => { process.disconnect?.(); },
  };
}
