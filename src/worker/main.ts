/**
 * A node's agent process: connects to the head with its node credential (the first line of stdin, from its
 * supervisor or the process provider; kept in memory only), registers the node's resources and runs its tasks.
 * While the head is unreachable its worker processes keep running and it tries to connect again (backoff with
 * jitter, reconnect.ts); it exits by itself (ending them) when the head has been gone longer than
 * raylaunch.head_reconnect_timeout_s. Started by a provider or a
 * supervisor with `--cluster <name> --node <id>`, and `--kind head` on the head node (its supervisor starts it
 * beside the head service).
 */
import { wsTransport } from '../client/ws-transport.js';
import type { Transport } from '../client/transport.js';
import { handshake } from '../client/connect.js';
import { nodeDir, readNodeStart } from '../common/node-args.js';
import { runtimeRoot } from '../common/package-root.js';
import { Agent } from './agent.js';
import { preemptionWatch } from './preemption.js';
import { nodeListenAddress } from '../common/net.js';
import { nodeResources } from '../common/node-resources.js';
import { sleep } from '../common/wait.js';
import { nextReconnect } from './reconnect.js';
import { readSecretLine } from '../common/stdin-secret.js';

const start = readNodeStart(process.argv);
const { config } = start;
const kind = process.argv.includes('--kind') && process.argv[process.argv.indexOf('--kind') + 1] === 'head' ? 'head' : 'worker';
// The head node's agent is started by the head's supervisor, which has the config and no node type to hand.
const nodeType = kind === 'head' ? config.head_node_type : (process.env.RAYLAUNCH_NODE_TYPE ?? '');
const headAddress = process.env.RAYLAUNCH_HEAD_ADDRESS ?? '';
const type = config.available_node_types[nodeType];
if (!type || !headAddress) {
  process.stderr.write(`raylaunch agent: node type "${nodeType}" or head address missing\n`);
  process.exit(2);
}
const credential = await readSecretLine(process.stdin).catch((e: Error) => {
  process.stderr.write(`raylaunch agent: ${e.message}\n`);
  return process.exit(2);
});
if (!credential) {
  process.stderr.write('raylaunch agent: no node credential on stdin\n');
  process.exit(2);
}
const heartbeatTimeoutMs = config.raylaunch.heartbeat_timeout_s * 1000;
const reconnectTimeoutMs = config.raylaunch.head_reconnect_timeout_s * 1000;
// The head node's log holds the head service's lines too: the agent's are told apart as they were when it ran inside it.
const prefix = kind === 'head' ? 'agent: ' : '';
const log = (s: string) => process.stdout.write(`${new Date().toISOString()} ${prefix}${s}\n`);

let agent: Agent | undefined;
/** Set once the node's preemption notice is seen (EC2 spot, GCE): told to the head on every connection from then on. */
let drainReason: string | undefined;

preemptionWatch(config, nodeType, {
  onNotice: (reason) => {
    drainReason = reason;
    log(`${reason}: telling the head to drain this node`);
    agent?.draining(reason);
  },
  onError: (e) => log(`cannot read the preemption notice: ${e.message}`),
})?.start();

async function connect(): Promise<void> {
  const link = await wsTransport(headAddress, credential);
  const welcome = await handshake(link, { type: 'hello', role: 'agent', clientId: `agent-${start.node}`, nodeId: start.node });
  if (agent) {
    // The same node again, its worker processes and objects as they were.
    agent.relink(link, welcome.objectCredential);
    watch(link);
    if (drainReason !== undefined) agent.draining(drainReason);
    log(`node ${start.node} (${nodeType}) registered again with the head at ${headAddress}`);
    return;
  }
  const a = new Agent(link, {
    nodeId: start.node, nodeType, kind, resources: nodeResources(type?.resources), address: nodeListenAddress(),
    nodeDir: nodeDir(start.stateDir, start.node), runtimeRoot: runtimeRoot().dir,
    inlineLimit: config.raylaunch.inline_object_limit, heartbeatMs: Math.min(1000, heartbeatTimeoutMs / 5), token: welcome.objectCredential ?? '', log,
    maxObjectConnections: config.raylaunch.max_connections,
    ...(config.raylaunch.worker_user !== undefined ? { workerUser: config.raylaunch.worker_user } : {}),
  });
  agent = a;
  watch(link);
  await a.start();
  if (drainReason !== undefined) a.draining(drainReason);
  log(`node ${start.node} (${nodeType}) registered with the head at ${headAddress}`);
}

function watch(link: Transport): void {
  link.onClose((reason) => {
    log(`lost the head: ${reason}`);
    agent?.disconnected();
    void reconnect();
  });
}

let reconnecting = false;

/**
 * Tries to reach the head again, with growing, jittered waits, until head_reconnect_timeout_s has passed since
 * it was lost; then exits, its worker processes with it.
 */
async function reconnect(): Promise<void> {
  if (reconnecting) return;
  reconnecting = true;
  const since = Date.now();
  let last: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      await connect();
      reconnecting = false;
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    const step = nextReconnect({ attempt, since, now: Date.now(), deadlineMs: reconnectTimeoutMs, random: Math.random() });
    if ('giveUp' in step) break;
    await sleep(step.waitMs);
  }
  log(`the head has been gone for raylaunch.head_reconnect_timeout_s (${reconnectTimeoutMs / 1000} s; last: ${last ?? 'nothing'}); exiting`);
  agent?.stop();
  process.exit(0);
}

process.on('SIGTERM', () => {
  agent?.stop();
  process.exit(0);
});

try {
  await connect();
} catch (e) {
  log(`cannot reach the head at ${headAddress}: ${(e as Error).message}`);
  await reconnect();
}
