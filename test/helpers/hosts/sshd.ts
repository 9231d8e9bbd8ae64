// One test host's sshd: its config, its start inside the host's namespaces, and waiting for its banner. The host
// pool (hosts.ts) decides when; this file only knows how.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { killAll, must, sleep, tool } from './system.js';

/** The parts of a test host sshd needs: its namespace, address and folders. */
export interface SshdHost {
  ns: string;
  ip: string;
  dir: string;
  home: string;
}

export const SSHD = '/usr/sbin/sshd';
/** How long sshd may take to show its banner: a bound for a broken start, not a goal (a busy machine is slow). */
const START_TIMEOUT_MS = 30_000;
const IP = tool('ip') ?? 'ip';
const SSH_KEYGEN = tool('ssh-keygen') ?? 'ssh-keygen';
const UNSHARE = tool('unshare') ?? 'unshare';
// sshd_config's SetEnv takes NAME=value words; a value with blanks or quotes would need quoting rules we avoid.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_VALUE = /^[^\s"'\\]*$/;

export const hostKeyPath = (h: SshdHost): string => join(h.dir, 'hostkey');

/** A new ed25519 host key for the host. */
export async function makeHostKey(h: SshdHost): Promise<void> {
  const key = hostKeyPath(h);
  await rm(key, { force: true });
  await rm(`${key}.pub`, { force: true });
  await must(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', h.ns, '-f', key]);
}

/** Installs a host key handed in (an OpenSSH private key), as cloud-init's `ssh_keys` does. */
export async function installHostKey(h: SshdHost, privateKey: string): Promise<void> {
  const key = hostKeyPath(h);
  await rm(`${key}.pub`, { force: true });
  // sshd ignores a private host key that others can read.
  await writeFile(key, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`, { mode: 0o600 });
}

/**
 * `env`: variables every SSH session on the host gets (sshd's SetEnv), as an image sets them for its users, e.g.
 * AWS_EC2_METADATA_SERVICE_ENDPOINT.
 */
export async function writeSshdConfig(h: SshdHost, env: Record<string, string> = {}): Promise<void> {
  const setEnv = Object.entries(env).map(([k, v]) => {
    if (!ENV_NAME.test(k) || !ENV_VALUE.test(v)) throw new Error(`test host ${h.ns}: cannot set ${k}=${v} through sshd's SetEnv`);
    return `${k}=${v}`;
  });
  const lines = [
    `ListenAddress ${h.ip}`,
    `HostKey ${hostKeyPath(h)}`,
    `PidFile ${join(h.dir, 'sshd.pid')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'Subsystem sftp internal-sftp',
    'MaxSessions 10',
    'AllowTcpForwarding yes',
    'PrintMotd no',
    ...(setEnv.length > 0 ? [`SetEnv ${setEnv.join(' ')}`] : []),
    '',
  ];
  await writeFile(join(h.dir, 'sshd_config'), lines.join('\n'));
}

/** ip, unshare and sh all exec, so the child's PID is sshd's own, and sshd holds the host's namespaces. */
export function launchSshd(h: SshdHost): ChildProcess {
  const log = openSync(join(h.dir, 'sshd.log'), 'a');
  try {
    const script = 'hostname "$0" && mount --bind "$1" /root && mount --bind "$4/tmp" /tmp && mkdir -p /run/screen && mount --bind "$4/screen" /run/screen && exec "$2" -D -e -f "$3"';
    const args = ['netns', 'exec', h.ns, UNSHARE, '--uts', '--mount', '--propagation', 'private', 'sh', '-c', script];
    const child = spawn(IP, [...args, h.ns, h.home, SSHD, join(h.dir, 'sshd_config'), h.dir], { detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => {
      // shows as the exit below; the wait reports it with the log
    });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

function probeSsh(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: ip, port: 22, timeout: 250 });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

export async function waitForSshd(h: SshdHost, child: ChildProcess): Promise<void> {
  const until = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < until && !exited(child)) {
    if (await probeSsh(h.ip)) return;
    await sleep(10);
  }
  const log = await readFile(join(h.dir, 'sshd.log'), 'utf8').catch(() => '(no log)');
  const why = exited(child) ? `sshd exited (${child.exitCode ?? child.signalCode})` : `no SSH banner on ${h.ip}:22 within ${START_TIMEOUT_MS} ms`;
  throw new Error(`test host ${h.ns}: ${why}; sshd.log:\n${log}`);
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await killAll([child.pid], 1000);
  await Promise.race([gone, sleep(500)]);
}
