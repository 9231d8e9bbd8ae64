/**
 * The head service: control plane, GCS, scheduler, job manager, the head node's own agent, and the keeper of
 * min_workers, in one process. Started by a provider with `--cluster <name> --node <id>`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { providerKind } from '../../providers/index.js';
import { systemClock } from '../common/clock.js';
import { headFile, type HeadInfo, nodeDir, readNodeStart } from '../common/node-args.js';
import { packageRoot, runtimeEntry } from '../common/package-root.js';
import { Agent } from '../worker/agent.js';
import { ObjectStore } from '../worker/object-store.js';
import { ControlPlane, loopback } from './control-plane.js';
import { MemoryStore } from './gcs/store.js';
import { Head } from './head.js';
import { JobManager } from './jobs/job-manager.js';
import { Autoscaler } from './autoscaler/loop.js';
import { launchHash } from '../config/hash.js';
import { nodeListenAddress } from '../common/net.js';
import { nodeResources } from '../common/node-resources.js';
import { sshNodeSetup } from './ssh-nodes.js';

const start = readNodeStart(process.argv);
const { config } = start;
// Loopback for the process provider; the node's private address where workers on other hosts must reach it.
const host = nodeListenAddress();
const store = new ObjectStore();
const dir = nodeDir(start.stateDir, start.node);

// The head needs the port the control plane got; messages before it exists cannot arrive (nobody knows the port).
const ref: { head?: Head } = {};
const plane = new ControlPlane({
  host, port: config.raylaunch.control_plane_port, token: start.token,
  onMessages: (peer, msgs) => ref.head?.handle(peer, msgs),
  onClose: (peer) => ref.head?.closed(peer),
  health: () => ({ ok: true, cluster: config.cluster_name }),
});
const port = await plane.listen();
const address = `${host}:${port}`;
const gcs = new MemoryStore();
const h = new Head({
  clusterName: config.cluster_name, headNodeId: start.node, address, config, clock: systemClock, localStore: store, store: gcs,
  objectAddress: () => agentRef.agent?.objectAddress ?? '',
  saveConfig: (next) => {
    const file = join(start.stateDir, 'config.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(next, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  },
});
const agentRef: { agent?: Agent } = {};
h.jobs = new JobManager({
  jobsDir: join(start.stateDir, 'jobs'), runtimeRoot: packageRoot(), headAddress: address, token: start.token, clock: systemClock, store: gcs,
  onEnded: (jobId) => h.jobEnded(jobId),
});
ref.head = h;

// The head is a node too: its agent runs in this process and talks to the head without a socket.
const { link } = loopback({ onMessages: (peer, msgs) => h.handle(peer, msgs), onClose: (peer) => h.closed(peer) });
const headType = config.available_node_types[config.head_node_type];
const agent = new Agent(link, {
  nodeId: start.node, nodeType: config.head_node_type, kind: 'head', resources: nodeResources(headType?.resources), address: host, nodeDir: dir,
  runtimeRoot: packageRoot(), inlineLimit: config.raylaunch.inline_object_limit, heartbeatMs: 1000, store, token: start.token,
});
agentRef.agent = agent;
link.send([{ type: 'hello', role: 'agent', clientId: `agent-${start.node}`, nodeId: start.node }]);
await agent.start();

const liveness = setInterval(() => h.checkLiveness(), 250);
const kind = providerKind(config.provider.type);
const provider = await kind.load(config, {
  clusterName: config.cluster_name, stateDir: start.stateDir, onHead: true,
  nodeEnv: {
    RAYLAUNCH_STATE_DIR: start.stateDir, RAYLAUNCH_TOKEN_FILE: process.env.RAYLAUNCH_TOKEN_FILE ?? '', RAYLAUNCH_HEAD_ADDRESS: address,
  },
  entry: (k) => runtimeEntry(k === 'head' ? 'src/head/main.js' : 'src/worker/main.js'),
});
const autoscaler = new Autoscaler({
  provider, config, clock: systemClock, facts: () => h.autoscalerFacts(), typeResources: (t) => h.typeResources(t), drain: (id) => h.drain(id), launchHash: (t) => launchHash(config, t),
  ...(kind.reachedOverSsh ? { nodeSetup: sshNodeSetup({ config, stateDir: start.stateDir, token: start.token, headAddress: address }) } : {}),
  stopBeforeTerminate: kind.hostPool !== undefined,
});
h.autoscaler = autoscaler;
autoscaler.start();

const info: HeadInfo = { nodeId: start.node, address, pid: process.pid, startedAt: Date.now() };
const file = headFile(start.stateDir);
writeFileSync(`${file}.tmp`, JSON.stringify(info), { mode: 0o600 });
renameSync(`${file}.tmp`, file);
process.stdout.write(`raylaunch head ${start.node} of cluster ${config.cluster_name} listening on ${address}\n`);

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`raylaunch head stopping (${signal})\n`);
  clearInterval(liveness);
  autoscaler.stop();
  h.jobs.stopAll();
  agent.stop();
  void plane.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
