/**
 * What the commands that reach into a cluster's head (exec, attach, rsync-up/down, get-head-ip) share: where the
 * head is, and the system `ssh` options that trust exactly the host key raylaunch pinned there. The argument
 * builders are pure, so their quoting is tested without a host.
 */
import { RaylaunchError } from '../common/errors.js';
import { clusterDir } from '../common/paths.js';
import type { ClusterConfig } from '../config/types.js';
import type { SshTarget } from '../updater/runner.js';
import { notRunning } from './known-clusters.js';
import { readClusterConfig, readHeadInfo } from './cluster-state.js';
import { headShell, runInherited, type HeadShell } from './shell.js';
import { readSshHead, type SshHead } from './ssh-head.js';

/** A running cluster's head: a login over SSH, or (process provider) a folder on this machine. */
export type HeadAccess =
  | { kind: 'ssh'; name: string; dir: string; config: ClusterConfig; head: SshHead }
  | { kind: 'local'; name: string; dir: string; config: ClusterConfig | undefined; shell: HeadShell };

/**
 * How to reach the head of a cluster started from this machine. An SSH cluster whose daemon crashed still has
 * its login here (removed only by `down`), so exec and attach keep working for looking into what went wrong.
 */
export function headAccess(name: string): HeadAccess {
  const dir = clusterDir(name);
  const config = readClusterConfig(dir);
  const head = readSshHead(dir);
  if (config && head) return { kind: 'ssh', name, dir, config, head };
  return { kind: 'local', name, dir, config, shell: headShell(name) };
}

/** The head's address as this machine reaches it: the SSH login host, or the process head's listen address. */
export function headIp(name: string): string {
  const dir = clusterDir(name);
  const ssh = readSshHead(dir);
  if (ssh) return ssh.host;
  const info = readHeadInfo(dir);
  if (!info) throw notRunning(name);
  return info.address.slice(0, info.address.lastIndexOf(':'));
}

/**
 * Options for the system ssh (and rsync through it): the cluster's key only, and the cluster's known_hosts as
 * the only source of trust: a host whose key is not the pinned one is refused, never added.
 */
export function sshOptions(t: SshTarget): string[] {
  return [
    '-i', t.privateKeyPath, '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${t.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'ConnectTimeout=30', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3',
    ...(t.port !== undefined && t.port !== 22 ? ['-p', String(t.port)] : []),
  ];
}

export const login = (t: SshTarget) => `${t.user}@${t.host}`;

export interface AttachOptions {
  tmux: boolean;
  screen: boolean;
  /** with tmux or screen: a new session instead of the most recent one */
  new: boolean;
  /** forwarded from this machine's localhost to the head's */
  ports: number[];
  /**
   * Whether stdin is a terminal. When it is not (`echo cmd | raylaunch attach`), the head's login shell reads the
   * commands from it, as `ssh host < cmds` does: no terminal is asked for.
   */
  tty: boolean;
}

/** What attach runs on the head: a login shell, or Ray's tmux/screen lines (reattach, else start one). */
export function attachRemoteCommand(o: AttachOptions): string | undefined {
  if (o.tmux) return o.new ? 'tmux new-session' : 'tmux attach-session 2>/dev/null || tmux new-session';
  if (o.screen) return o.new ? 'screen' : 'screen -xRR';
  return undefined;
}

/** `ssh` arguments for attach: a terminal on the head, with the pinned options and any port forwards. */
export function attachArgs(t: SshTarget, o: AttachOptions): string[] {
  const command = attachRemoteCommand(o);
  return [
    ...sshOptions(t), ...o.ports.flatMap((p) => ['-L', `${p}:localhost:${p}`]),
    o.tty ? '-t' : '-T', login(t), ...(command === undefined ? [] : [command]),
  ];
}

/**
 * One word of rsync's `-e` command line. rsync splits it itself: spaces separate, single or double quotes keep a
 * word together, backslashes mean nothing, so a word with both kinds of quote cannot be passed.
 */
export function rsyncWord(w: string): string {
  if (/^[\w@%+=:,./-]+$/.test(w)) return w;
  if (!w.includes("'")) return `'${w}'`;
  if (!w.includes('"')) return `"${w}"`;
  throw new Error(`cannot pass ${w} to ssh through rsync: it contains both kinds of quote`);
}

/** rsync's `-e` value: ssh with the pinned options. */
export const rsyncShell = (t: SshTarget) => ['ssh', ...sshOptions(t)].map(rsyncWord).join(' ');

/** The system ssh is missing on this machine. Exit 1. */
export class SshClientMissingError extends RaylaunchError {
  override readonly name = 'SshClientMissingError';
  readonly code = 'ssh_client_missing';
  readonly exitCode = 1;
}

/** Runs the system ssh on this terminal; resolves to its exit code (the remote's, or 255 when ssh itself failed). */
export async function runSsh(args: string[]): Promise<number> {
  try {
    return await runInherited('ssh', args, { cwd: process.cwd(), env: process.env });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new SshClientMissingError('the ssh client is not installed on this machine', { hint: 'install OpenSSH\'s client (apt-get install openssh-client)' });
  }
}
