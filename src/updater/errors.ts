import { RaylaunchError } from '../common/errors.js';
import { hostToken } from './known-hosts.js';
import type { RunResult } from './runner.js';

export type SshConnectReason = 'refused' | 'timeout' | 'auth' | 'unreachable' | 'closed';

/** Where a connection goes, as messages name it: `user@host:port`. */
export interface SshAddress {
  user: string;
  host: string;
  port: number;
}

const REASON_TEXT: Record<SshConnectReason, string> = {
  refused: 'connection refused (sshd not running yet?)',
  timeout: 'timed out (node still booting, or a firewall drops the port?)',
  auth: 'authentication failed (the key was not accepted)',
  unreachable: 'no route to host',
  closed: 'the connection was closed by the node',
};

function connectHint(a: SshAddress, reason: SshConnectReason, privateKeyPath: string | undefined): string {
  switch (reason) {
    case 'refused':
      return `check that the node is running and sshd listens on port ${a.port}`;
    case 'timeout':
      return `check that the node is running and that port ${a.port} is open to this machine (security group, firewall)`;
    case 'auth':
      return `check that the public key of ${privateKeyPath ?? 'the configured private key'} is in ~${a.user}/.ssh/authorized_keys on the node, and that "${a.user}" is the right ssh_user`;
    case 'unreachable':
      return `check the address ${a.host} and that this machine can reach the node's network (VPN, subnet, use_internal_ips)`;
    case 'closed':
      return 'the node may have rebooted or its sshd restarted; run the command again';
  }
}

/**
 * A host this connection may only reach with a key already pinned has none: raylaunch refuses to trust it on
 * first use (the CLI reaching a worker whose key only the head knows). Exit 1.
 */
export class HostKeyUnknownError extends RaylaunchError {
  override readonly name = 'HostKeyUnknownError';
  readonly code = 'host_key_unknown';
  readonly exitCode = 1;

  constructor(readonly host: string, knownHostsPath: string) {
    super(`no pinned host key for ${host} in ${knownHostsPath}, and it is not trusted on first use from here`, {
      hint: 'the head pins its workers\' keys; run the command again once the head can be reached, or check the host by hand',
    });
  }
}

/** SSH to a node could not be established (or was lost), after retrying where retrying could help. Exit 1. */
export class SshConnectError extends RaylaunchError {
  override readonly name = 'SshConnectError';
  readonly code = 'ssh_connect_failed';
  readonly exitCode = 1;
  readonly host: string;
  readonly reason: SshConnectReason;

  constructor(
    address: SshAddress,
    reason: SshConnectReason,
    opts: { detail?: string; privateKeyPath?: string; cause?: unknown } = {},
  ) {
    const detail = opts.detail === undefined ? '' : `; ${opts.detail}`;
    super(`cannot connect to ${address.user}@${address.host}:${address.port}: ${REASON_TEXT[reason]}${detail}`, {
      hint: connectHint(address, reason, opts.privateKeyPath),
      cause: opts.cause,
    });
    this.host = address.host;
    this.reason = reason;
  }
}

/**
 * The node offered a host key other than the pinned one: a replaced node, or someone in the middle. Never retried
 * and never overridden automatically. Exit 1.
 */
export class HostKeyMismatchError extends RaylaunchError {
  override readonly name = 'HostKeyMismatchError';
  readonly code = 'ssh_host_key_mismatch';
  readonly exitCode = 1;
  readonly host: string;
  readonly port: number;
  /** SHA256 fingerprints (OpenSSH form) of the accepted keys, and of the one offered (undefined: none of that type). */
  readonly pinned: string[];
  readonly offered: string | undefined;
  readonly knownHostsPath: string;

  constructor(o: {
    host: string;
    port: number;
    pinned: string[];
    offered: string | undefined;
    knownHostsPath: string;
    /** 'provider': the key came from the provider (expectedHostKey), not from an earlier connection. */
    source: 'known_hosts' | 'provider';
  }) {
    const token = hostToken(o.host, o.port);
    const offered = o.offered ?? 'no key of the pinned type';
    const message =
      o.source === 'provider'
        ? `host key of ${token} does not match the one the provider reported: expected ${o.pinned.join(' or ')}, offered ${offered}; refusing to connect`
        : `host key of ${token} changed: pinned ${o.pinned.join(' or ')} in ${o.knownHostsPath}, offered ${offered}; refusing to connect (a replaced node, or someone in the middle)`;
    const quoted = o.port === 22 ? token : `'${token}'`;
    const hint =
      o.source === 'provider'
        ? `check that ${o.host} still belongs to this node (an address reused by another machine?)`
        : `if the node was replaced on purpose, delete the line for ${token} from ${o.knownHostsPath} (or run \`ssh-keygen -R ${quoted} -f ${o.knownHostsPath}\`) and retry`;
    super(message, { hint });
    this.host = o.host;
    this.port = o.port;
    this.pinned = o.pinned;
    this.offered = o.offered;
    this.knownHostsPath = o.knownHostsPath;
  }
}

const SHOWN_LINES = 20;
const SHOWN_COMMAND_CHARS = 200;

/** A command on a node exited non-zero; the message ends with the last lines it printed. Exit 1. */
export class RemoteCommandError extends RaylaunchError {
  override readonly name = 'RemoteCommandError';
  readonly code = 'remote_command_failed';
  readonly exitCode = 1;
  readonly host: string;
  readonly command: string;
  /** The remote command's exit code (`exitCode` is raylaunch's own). */
  readonly remoteExitCode: number;
  readonly lastLines: string[];

  constructor(host: string, command: string, remoteExitCode: number, output: string, opts: { hint?: string } = {}) {
    const trimmed = output.replace(/\s+$/, '');
    const lastLines = trimmed === '' ? [] : trimmed.split('\n').slice(-SHOWN_LINES);
    const shown = command.length > SHOWN_COMMAND_CHARS ? `${command.slice(0, SHOWN_COMMAND_CHARS)}…` : command;
    const tail = lastLines.length === 0 ? ' (no output)' : `; last lines:\n${lastLines.map((l) => `  ${l}`).join('\n')}`;
    super(`command on ${host} exited with code ${remoteExitCode}: ${shown}${tail}`, opts);
    this.host = host;
    this.command = command;
    this.remoteExitCode = remoteExitCode;
    this.lastLines = lastLines;
  }

  /** For a finished run: stderr's tail, or stdout's when the command wrote nothing to stderr. */
  static fromResult(host: string, command: string, r: RunResult, opts: { hint?: string } = {}): RemoteCommandError {
    return new RemoteCommandError(host, command, r.code, r.stderr.trim() === '' ? r.stdout : r.stderr, opts);
  }
}

/** A file could not be written on a node (permission, disk full, no such parent). Exit 1. */
export class RemoteFileError extends RaylaunchError {
  override readonly name = 'RemoteFileError';
  readonly code = 'remote_file_failed';
  readonly exitCode = 1;
}
