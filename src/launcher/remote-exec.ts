/**
 * `exec` on a head reached over SSH: one ssh2 session on the pinned connection, the command's bytes passed to this
 * process's stdout and stderr as they arrive, and ports forwarded through the same connection while it runs.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { RaylaunchError } from '../common/errors.js';
import { RemoteCommandError } from '../updater/errors.js';
import { shq } from '../updater/remote.js';
import type { CommandRunner, SshTarget } from '../updater/runner.js';
import { SshPool } from '../updater/ssh/pool.js';

/** A port given with -p cannot be listened on here (in use, or privileged). Exit 1. */
export class LocalPortError extends RaylaunchError {
  override readonly name = 'LocalPortError';
  readonly code = 'local_port_unavailable';
  readonly exitCode = 1;
}

/** The head lacks a program the command needs (tmux). Exit 1. */
export class HeadProgramMissingError extends RaylaunchError {
  override readonly name = 'HeadProgramMissingError';
  readonly code = 'head_program_missing';
  readonly exitCode = 1;
}

/**
 * The command line `exec` runs from its arguments: one argument is a shell command line, kept as given
 * (`exec cfg 'echo a; echo b'`); several (`exec cfg -- python3 -c 'print(1)'`) are a program and its arguments,
 * each quoted so that the shell passes it on unchanged.
 */
export function execCommandLine(args: readonly string[]): string {
  const [only, ...more] = args;
  return only !== undefined && more.length === 0 ? only : args.map(shq).join(' ');
}

/**
 * Through a login shell, as setup_commands ran: what they put on PATH in ~/.profile is there. The user's home
 * is the working folder, as with Ray.
 */
export const loginShellCommand = (cmd: string) => `bash --login -c ${shq(cmd)}`;

/** Ray's `exec --tmux`: a detached session that keeps a shell open after the command, to read its output later. */
export const tmuxCommand = (cmd: string) =>
  `command -v tmux >/dev/null 2>&1 || { echo 'tmux: not found' >&2; exit 127; }; tmux new-session -d ${shq(loginShellCommand(`${cmd}; exec bash --login`))}`;

export interface RemoteExecOptions {
  /** Ask for a terminal (stdin is one, or --tty): stderr then arrives merged into stdout. */
  tty: boolean;
  ports: readonly number[];
}

/** Runs `cmd` on the head with this process's stdio; resolves to its exit code. */
export async function execOverSsh(head: SshTarget, cmd: string, o: RemoteExecOptions): Promise<number> {
  const pool = new SshPool({ connectTimeoutMs: 30_000 });
  const forwards: { close(): void }[] = [];
  const stdin = process.stdin;
  const raw = o.tty && stdin.isTTY;
  try {
    const runner = pool.runner(head);
    for (const port of o.ports) forwards.push(await forwardPort(runner, port));
    // a terminal on the far side: keys (Ctrl-C included) go there as typed, not to this process
    if (raw) stdin.setRawMode(true);
    const r = await runner.run(loginShellCommand(cmd), {
      pty: o.tty, stdin,
      onStdout: (b) => process.stdout.write(b),
      onStderr: (b) => process.stderr.write(b),
    });
    return r.code;
  } finally {
    if (raw) stdin.setRawMode(false);
    for (const f of forwards) f.close();
    await pool.close();
  }
}

/** Starts `cmd` in a detached tmux session on the head. */
export async function execInTmux(head: SshTarget, cmd: string): Promise<void> {
  const pool = new SshPool({ connectTimeoutMs: 30_000 });
  try {
    const sent = tmuxCommand(cmd);
    const r = await pool.runner(head).run(sent);
    if (r.code === 127 && /tmux: not found/.test(r.stderr)) {
      throw new HeadProgramMissingError(`tmux is not installed on the head (${head.host})`, { hint: 'install it from setup_commands (e.g. sudo apt-get install -y tmux), or run the command without --tmux' });
    }
    if (r.code !== 0) throw RemoteCommandError.fromResult(head.host, sent, r);
  } finally {
    await pool.close();
  }
}

/**
 * localhost:PORT here → localhost:PORT on the head. The runner's forward listens on a port of its choosing, so
 * connections to the asked-for port are relayed to it; both stay on loopback. Closing ends open connections too.
 */
async function forwardPort(runner: CommandRunner, port: number): Promise<{ close(): void }> {
  const fwd = await runner.forward('localhost', port);
  const sockets = new Set<Socket>();
  const server = createServer((local) => {
    const remote = createConnection({ host: '127.0.0.1', port: fwd.localPort });
    for (const s of [local, remote]) {
      sockets.add(s);
      s.on('error', () => {
        local.destroy();
        remote.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    // A side that ends is ended on the other by the pipe once what it sent is written: destroying it on close (as
    // before) could drop the last bytes of a reply that came with the far end's FIN.
    local.pipe(remote).pipe(local);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      void fwd.close();
      reject(new LocalPortError(`cannot forward port ${port}: ${e.code === 'EADDRINUSE' ? 'it is already in use on this machine' : e.message}`, {
        hint: e.code === 'EACCES' ? 'ports below 1024 need root; pick a higher one' : 'stop what listens there, or forward another port',
      }));
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
      void fwd.close();
    },
  };
}
