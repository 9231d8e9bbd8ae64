import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { confirmRestart } from '../cli/confirm.js';
import { clusterFlag, printWarnings, resolveCluster, splitConfig } from '../cli/cluster-arg.js';
import { formatDown } from '../cli/format.js';
import { nodeProgress } from '../cli/progress.js';
import { renderError } from '../cli/render.js';
import { portFlag } from '../cli/ssh-flags.js';
import { UsageError } from '../common/errors.js';
import { clusterDir } from '../common/paths.js';
import type { LoadedConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import { readClusterConfig } from '../launcher/cluster-state.js';
import { down } from '../launcher/down.js';
import { execCommandLine, execInTmux, execOverSsh } from '../launcher/remote-exec.js';
import { runInherited } from '../launcher/shell.js';
import { headAccess } from '../launcher/ssh-commands.js';
import { reachedOverSsh } from '../launcher/nodes.js';
import { up } from '../launcher/up.js';
import { useColour } from '../cli/colour.js';

export default class Exec extends BaseCommand {
  static override summary = 'Run one shell command on the head.';
  static override description = `Runs CMD on the cluster's head: over SSH in the login user's home, through a login shell \
(bash --login -c, as setup_commands run); for the process provider in the head's folder on this machine, with the \
cluster's environment set. One CMD argument is a shell command line ('echo a; echo b'); several (exec -- python3 -c \
'print(1)') are a program and its arguments, each passed on unchanged. Its stdout and stderr pass through \
unchanged, nothing is printed after them (but --stop's summary, on stderr), and raylaunch exits with the command's \
exit code. Over SSH there is a terminal only when stdin is one (or with --tty), and then stderr arrives merged into \
stdout.`;
  static override usage = ['exec [CONFIG] CMD [-c NAME] [--tmux] [--start] [--stop] [-p PORT]…', 'exec [CONFIG] -- CMD ARG…'];
  static override examples = [
    { description: 'Where commands run.', command: '<%= config.bin %> <%= command.id %> example-configs/process.yaml \'pwd; ls\'' },
    { description: 'Everything after -- is the command.', command: '<%= config.bin %> <%= command.id %> -c demo -- raylaunch status --json' },
    { description: 'A server on the head, reachable here at localhost:8080 while it runs.', command: '<%= config.bin %> <%= command.id %> cluster.yaml -p 8080 \'python3 -m http.server 8080\'' },
    { description: 'Left running in tmux on the head (see it with attach --tmux).', command: '<%= config.bin %> <%= command.id %> cluster.yaml --tmux \'./train.sh\'' },
  ];
  static override strict = false;
  static override flags = {
    cluster: clusterFlag,
    tmux: Flags.boolean({ description: 'Run the command in a new detached tmux session on the head and return at once (clusters reached over SSH).', exclusive: ['stop', 'port', 'tty'] }),
    start: Flags.boolean({ description: 'Start the cluster first (raylaunch up) if it is not up with this config.' }),
    stop: Flags.boolean({ description: 'Stop the cluster (raylaunch down) after the command, also when it failed.' }),
    port: portFlag,
    tty: Flags.boolean({ description: 'Ask for a terminal on the head even when stdin is not one.' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Exec);
    const split = splitConfig(argv as string[]);
    const configArg = split.configArg;
    const rest = [...split.rest, ...this.passthrough];
    if (rest.length === 0) throw new UsageError('missing the command to run', { hint: 'raylaunch exec [CONFIG] \'CMD\'  or  raylaunch exec [CONFIG] -- CMD ARG…' });
    const target = await resolveCluster(configArg, flags.cluster);
    const { name } = target;
    const cmd = execCommandLine(rest);
    if (flags.start) {
      const config = startConfig(name, target.loaded);
      // a usage mistake is said before anything is started
      if (flags.tmux && !reachedOverSsh(config)) throw tmuxIsForSsh(name);
      await startCluster(config, target.loaded);
    }
    const access = headAccess(name);
    if (access.kind !== 'ssh' && flags.tmux) throw tmuxIsForSsh(name);
    let code = 1;
    let failure: { error: unknown } | undefined;
    try {
      if (access.kind === 'ssh' && flags.tmux) {
        await execInTmux(access.head, cmd);
        this.log(`started in a tmux session on the head; see it with: raylaunch attach ${configArg ?? `-c ${name}`} --tmux`);
        code = 0;
      } else if (access.kind === 'ssh') {
        code = await execOverSsh(access.head, cmd, { tty: flags.tty || process.stdin.isTTY === true, ports: flags.port ?? [] });
      } else {
        // the process provider's head is this machine: its ports need no forwarding
        code = await runInherited('/bin/sh', ['-c', cmd], access.shell);
      }
    } catch (error) {
      failure = { error };
    }
    // --stop: down whatever happened to the command; the command's error (or exit code) is still what is reported
    if (flags.stop) {
      try {
        process.stderr.write(`${formatDown(await down(name))}\n`);
      } catch (error) {
        if (!failure) throw error;
        process.stderr.write(renderError(error, this.debugRequested, useColour(process.stderr)));
      }
    }
    if (failure) throw failure.error;
    this.exit(code);
  }
}

const tmuxIsForSsh = (name: string) =>
  new UsageError('--tmux is for clusters reached over SSH', { hint: `the head of ${name} runs on this machine: start tmux here and run raylaunch exec in it` });

/** The config --start brings the cluster up with: the given one, or the one the cluster last ran with. */
function startConfig(name: string, loaded: LoadedConfig | undefined): ClusterConfig {
  const config = loaded?.config ?? readClusterConfig(clusterDir(name));
  if (!config) throw new UsageError(`--start needs the config of cluster ${name}, which is not running`, { hint: 'pass it: raylaunch exec CONFIG --start CMD' });
  return config;
}

/** `up` with this config: nothing to do when the cluster is up with it. */
async function startCluster(config: ClusterConfig, loaded: LoadedConfig | undefined): Promise<void> {
  printWarnings(loaded);
  const progress = nodeProgress(process.stderr, 'auto');
  try {
    await up(config, { waitForWorkers: false, progress: (l) => progress.line(l), nodeStatus: (n, s, d) => progress.node(n, s, d), confirmRestart: confirmRestart(config.cluster_name, false) });
  } finally {
    progress.done();
  }
}
