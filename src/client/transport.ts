import type { Message } from '../protocol/messages.js';

/** How a client reaches the cluster: a WebSocket to the head (drivers) or the IPC channel to its agent (workers). */
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
  process.on('disconnect', () => closeHandlers.forEach((h) => h('the agent went away')));
  return {
    send: (messages) => { process.send?.(messages); },
    onMessages: (handler) => {
      process.removeAllListeners('message');
      process.on('message', (m) => handler(m as Message[]));
    },
    onClose: (handler) => { closeHandlers.push(handler); },
    close: async () => { process.disconnect?.(); },
  };
}
