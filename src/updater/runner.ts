/**
 * The seam between raylaunch and a node's shell: run a command, put a file there, reach one of its ports. The
 * ssh2 implementation (ssh/pool.ts) is what every SSH-reached node uses; tests may substitute their own.
 */
import type { Readable } from 'node:stream';

export interface RunOptions {
  /** Streamed output, as it arrives (setup logs, `exec`). */
  onStdout?(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  /** Sent to the command's stdin, which is then closed (a tar stream, a script). */
  stdin?: Readable | Buffer | string;
  /** Ask for a terminal (interactive `exec`); stderr then arrives merged into stdout. */
  pty?: boolean;
  /** Ends the command (exit code 124, as timeout(1) does) when it runs longer. */
  timeoutMs?: number;
}

export interface RunResult {
  /** The command's exit code; 128 + n when a signal ended it. */
  code: number;
  /** The last 64 KiB of each stream, for error messages. */
  stdout: string;
  stderr: string;
}

export interface Forward {
  /** A port on 127.0.0.1 of this machine that reaches the remote address through the connection. */
  localPort: number;
  close(): Promise<void>;
}

export interface CommandRunner {
  /** The address this runner connects to (for messages). */
  readonly host: string;
  run(command: string, o?: RunOptions): Promise<RunResult>;
  /** Writes a file on the node (parent folders created), atomically, with the given mode. */
  writeFile(remotePath: string, content: string | Uint8Array, mode: number): Promise<void>;
  /** Forwards a local loopback port to `host:port` as seen from the node. */
  forward(host: string, port: number): Promise<Forward>;
  close(): Promise<void>;
}

/** How to reach one node over SSH. */
export interface SshTarget {
  host: string;
  port?: number;
  user: string;
  /** Path of the private key file (never its content in messages or logs). */
  privateKeyPath: string;
  /** The cluster's known_hosts file (OpenSSH format, 0600); the host's key is pinned there. */
  knownHostsPath: string;
  /** A key already known for this host (injected by the provider): pinned without trust on first use. */
  expectedHostKey?: string;
  /** Refuse a host with no pinned key instead of trusting it on first use (workers reached from the CLI). */
  requirePinned?: boolean;
}
