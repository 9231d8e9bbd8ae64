/**
 * A worker node's agent process: connects to the head with its node credential (the first line of stdin, from
 * its supervisor or the process provider; kept in memory only), registers the node's
 * resources and runs its tasks. It exits by itself when the head has been gone longer than the heartbeat
 * timeout. Started by a provider with `--cluster <name> --node <id>`.
 */
import { wsTransport } from '../client/ws-transport.js';
import { handshake } from '../client/connect.js';
import { nodeDir, readNodeStart } from '../common/node-args.js';
import { packageRoot } from '../common/package-root.js';
import { Agent } from './agent.js';
import { preemptionWatch } from './preemption.js';
import { nodeListenAddress } from '../common/net.js';
import { nodeResources } from '../common/node-resources.js';
import { pollUntil } from '../common/wait.js';
import { readSecretLine } from '../common/stdin-secret.js';

const start = readNodeStart(process.argv);
const { config } = start;
const nodeType = process.env.RAYLAUNCH_NODE_TYPE ?? '';
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
const log = (s: string) => process.stdout.write(`${new Date().toISOString()} ${s}\n`);

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
  const a = new Agent(link, {
    nodeId: start.node, nodeType, kind: 'worker', resources: nodeResources(type?.resources), address: nodeListenAddress(),
    nodeDir: nodeDir(start.stateDir, start.node), runtimeRoot: packageRoot(),
    inlineLimit: config.raylaunch.inline_object_limit, heartbeatMs: Math.min(1000, heartbeatTimeoutMs / 5), token: welcome.objectCredential ?? '', log,
    maxObjectConnections: config.raylaunch.max_connections,
    ...(config.raylaunch.worker_user !== undefined ? { workerUser: config.raylaunch.worker_user } : {}),
  });
  agent = a;
  link.onClose((reason) => {
    log(`lost the head: ${reason}`);
    a.stop();
    agent = undefined;
    void reconnect();
  });
  await a.start();
  if (drainReason !== undefined) a.draining(drainReason);
  log(`node ${start.node} (${nodeType}) registered with the head at ${headAddress}`);
}

/** Tries to reach the head again until the heartbeat timeout has passed, then exits. */
async function reconnect(): Promise<void> {
  const connected = await pollUntil(() => connect().then(() => true, () => undefined), { timeoutMs: heartbeatTimeoutMs, every: 200 });
  if (connected) return;
  log('the head is gone; exiting');
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
