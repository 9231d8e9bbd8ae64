/**
 * Where raylaunch keeps things on a node reached over SSH, and the shell lines that start and stop its daemon.
 * Everything lives under the login user's home (`~/.raylaunch/…`): never /tmp or a global prefix, which hosts
 * sharing a filesystem (test hosts, NFS homes aside) would collide in. Pure: tested without a node.
 */
import { RUNTIME_FILES } from '../runtime/entries.js';

/** One shell word, single-quoted: safe for any value, including spaces, quotes and `$`. */
export function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** What the supervisor's command line contains (its runtime folder): how a stop recognises it. */
const RUNTIME_MARK = '.raylaunch/runtime/';

/** The cluster's folder on a node, as a shell expression ($HOME is expanded by the remote shell). */
export const remoteStateDir = (cluster: string) => `"$HOME"/.raylaunch/clusters/${shq(cluster)}`;


/** A node's log on it, as one shell word: node ids come from providers and the head, and are quoted like any value. */
const nodeLog = (nodeId: string) => `"$D/logs/"${shq(`${nodeId}.log`)}`;

/**
 * Prints the head's head.json once it is there, or (exit 1) the end of its node's log: what `up` polls for until
 * the head listens. It waits on the head up to `waitS`, looking every 20 ms, so that `up` hears of the file as it
 * appears rather than at its next poll (polls backed off to 500 ms cost about a quarter second per `up`).
 */
export function headInfoCommand(cluster: string, nodeId: string, waitS = 5): string {
  const looks = Math.round(waitS * 50);
  return `D=${remoteStateDir(cluster)}; i=0; while [ ! -s "$D/head.json" ] && [ $i -lt ${looks} ]; do sleep 0.02 2>/dev/null || sleep 1; i=$((i+1)); done; `
    + `cat "$D/head.json" 2>/dev/null || { echo; tail -n 20 ${nodeLog(nodeId)} 2>/dev/null; exit 1; }`;
}

export interface DaemonStart {
  cluster: string;
  nodeId: string;
  kind: 'head' | 'worker';
  nodeType: string;
  runtimeRel: string;
  /** The node's own private address: the head and object servers listen there (never a public one). */
  nodeIp: string;
  /** Where agents reach the head (`ip:port`); empty for the head itself. */
  headAddress: string;
  /** More variables for the daemon (the provider's headEnv: a cloud API's endpoint, never a credential). */
  env?: Record<string, string>;
}

/**
 * Starts raylaunch's supervisor detached from the SSH session: setsid, output to the node's log, so a dropped
 * connection cannot kill the daemon. Its stdin is the command's: the updater sends one line on it, a worker's
 * node credential (empty for the head), which the supervisor reads and then closes, so the channel ends. The
 * credential is never in a file, argv or the environment.
 */
export function startDaemonCommand(s: DaemonStart): string {
  const env = [
    'RAYLAUNCH_STATE_DIR="$D"', `RAYLAUNCH_NODE_TYPE=${shq(s.nodeType)}`,
    `RAYLAUNCH_NODE_IP=${shq(s.nodeIp)}`, `RAYLAUNCH_NODE_ID=${shq(s.nodeId)}`,
    ...(s.headAddress ? [`RAYLAUNCH_HEAD_ADDRESS=${shq(s.headAddress)}`] : []),
    ...Object.entries(s.env ?? {}).filter(([k]) => /^[A-Z_][A-Z0-9_]*$/.test(k)).map(([k, v]) => `${k}=${shq(v)}`),
  ];
  // The daemon is its own statement: `a && b &` would background a subshell that keeps the channel open. A
  // background command's stdin is /dev/null before its own redirections apply: stdin is kept on fd 3 for it.
  return [
    'exec 3<&0',
    `D=${remoteStateDir(s.cluster)}`,
    `mkdir -p -m 700 "$D/logs" && cd "$D"${s.kind === 'head' ? ' && rm -f head.json' : ''} && rm -f token || exit 1`,
    `${env.join(' ')} setsid node --enable-source-maps "$HOME"/${s.runtimeRel}/${RUNTIME_FILES.supervisor} --kind ${s.kind} --cluster ${shq(s.cluster)} --node ${shq(s.nodeId)} <&3 3<&- >>${nodeLog(s.nodeId)} 2>&1 &`,
    // Returns once the supervisor has written its pid (up to 5 s), so a stop right after finds it.
    'i=0; while [ $i -lt 100 ] && [ ! -s supervisor.pid ]; do sleep 0.05; i=$((i+1)); done; [ -s supervisor.pid ]',
  ].join('\n');
}

/**
 * Stops the cluster's daemon on a node: SIGTERM to the supervisor (it stops its child and waits up to 5 s;
 * an exited one counts as gone even before init reaps it),
 * then SIGKILL to whatever of raylaunch still runs in its process group (setsid made it the group leader), so
 * workers and drivers go too. Only processes running raylaunch's runtime are touched: a stale pid file must not
 * kill a stranger.
 */
export function stopDaemonCommand(cluster: string): string {
  return [
    `D=${remoteStateDir(cluster)}`,
    'p=$(cat "$D/supervisor.pid" 2>/dev/null)',
    `if [ -n "$p" ] && grep -q '${RUNTIME_MARK}.*supervisor' "/proc/$p/cmdline" 2>/dev/null; then kill -TERM "$p"; i=0; while [ $i -lt 100 ] && kill -0 "$p" 2>/dev/null && ! grep -q '^[0-9]* (node) Z' "/proc/$p/stat" 2>/dev/null; do sleep 0.05; i=$((i+1)); done; echo stopped; fi`,
    // The group may outlive its leader (a supervisor killed by the OOM killer leaves its daemon running): what
    // of raylaunch still runs in it (runtime processes, job drivers under ~/.raylaunch) goes too.
    `[ -n "$p" ] && for q in $(ps -eo pid=,pgid=,args= 2>/dev/null | awk -v g="$p" '$2 == g && /\\.raylaunch\\// { print $1 }'); do kill -KILL "$q" 2>/dev/null && echo stopped; done`,
    'rm -f "$D/supervisor.pid"',
    'true',
  ].join('; ');
}

/** Removes the code and working folders of jobs that a node's agent fetched (node-data/<node>/jobs); its logs stay. */
export function dropJobFilesCommand(cluster: string): string {
  return `D=${remoteStateDir(cluster)}; rm -rf "$D"/node-data/*/jobs`;
}

/**
 * After `down`: the secrets and state raylaunch left on a node (the head's SSH key, the credential digests, the config and
 * the hashes that would let a later `up` skip setup), and the jobs' code and working folders. With `jobs` (the
 * head, once their logs were copied to the operator's machine) the head's job folders go too. The nodes' logs
 * and host-key pins stay.
 */
export function forgetCommand(cluster: string, o: { jobs: boolean }): string {
  return `D=${remoteStateDir(cluster)}; rm -f "$D/token" "$D/operator.sha256" "$D/node-credentials.json" "$D/ssh_key" "$D/config.json" "$D/runtime-hash" "$D/config-hash" "$D/head.json" "$D/control-port"; `
    + `${o.jobs ? 'rm -rf "$D/jobs" "$D/jobs-last-run"; ' : ''}${dropJobFilesCommand(cluster)}`;
}

/** What a node reports in one round trip before an update: Node's version, whether the runtime and daemon are there. */
export function probeCommand(cluster: string, runtimeRel: string): string {
  return [
    `D=${remoteStateDir(cluster)}`,
    'echo "node=$(node --version 2>/dev/null)"',
    `[ -f "$HOME"/${runtimeRel}/manifest.json ] && echo runtime=present`,
    'echo "hash=$(cat "$D/runtime-hash" 2>/dev/null)"',
    'echo "confhash=$(cat "$D/config-hash" 2>/dev/null)"',
    'p=$(cat "$D/supervisor.pid" 2>/dev/null); [ -n "$p" ] && grep -q supervisor "/proc/$p/cmdline" 2>/dev/null && echo daemon=running',
    'true',
  ].join('; ');
}

export interface Probe {
  /** Node.js major version, or undefined when `node` is missing. */
  nodeMajor: number | undefined;
  nodeVersion: string;
  runtimePresent: boolean;
  /** The runtime hash the last successful update wrote. */
  appliedHash: string;
  /** The hash of the config the running daemon was started with. */
  configHash: string;
  daemonRunning: boolean;
}

export function parseProbe(out: string): Probe {
  const kv = new Map(out.split('\n').map((l) => l.trim()).filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const nodeVersion = kv.get('node') ?? '';
  const m = /^v(\d+)\./.exec(nodeVersion);
  return {
    nodeMajor: m ? Number(m[1]) : undefined, nodeVersion, runtimePresent: kv.get('runtime') === 'present', appliedHash: kv.get('hash') ?? '', configHash: kv.get('confhash') ?? '',
    daemonRunning: kv.get('daemon') === 'running',
  };
}
