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
import { ControlPlane, listen, loopback } from './control-plane.js';
import { MemoryStore } from './gcs/store.js';
import { Head } from './head.js';
import { authorize } from './authorize.js';
import { headHandlers } from './handlers.js';
import { ClusterReadModel } from './read-model.js';
import { Router } from './router.js';
import { Sessions } from './sessions.js';
import { JobManager } from './jobs/job-manager.js';
import { Autoscaler } from './autoscaler/loop.js';
import { launchHash } from '../config/hash.js';
import { nodeListenAddress } from '../common/net.js';
import { nodeResources } from '../common/node-resources.js';
import { sshNodeSetup } from './ssh-nodes.js';
import { HeadCredentials } from './credential-store.js';
import { mintCredential } from '../common/credentials.js';

const start = readNodeStart(process.argv);
const { config } = start;
// Loopback for the process provider; the node's private address where workers on other hosts must reach it.
const host = nodeListenAddress();
const store = new ObjectStore();
const dir = nodeDir(start.stateDir, start.node);

const MIB = 1024 * 1024;

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

// The port first: the head's address is part of what the job manager and the provider hand out. It answers
// "starting" until the control plane takes it (below), once everything behind the router exists.
const listener = await listen(host, config.raylaunch.control_plane_port);
const address = `${host}:${listener.port}`;
const gcs = new MemoryStore();
const credentials = new HeadCredentials(start.stateDir);
// Minted afresh by each head and kept in memory: agents and drivers get it in their welcome, to fetch objects.
const objectCredential = mintCredential('object');
const h = new Head({
  objectCredential,
  clusterName: config.cluster_name, headNodeId: start.node, config, clock: systemClock, localStore: store, store: gcs,
  saveConfig: (next) => {
    const file = join(start.stateDir, 'config.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(next, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  },
});
const jobs = new JobManager({
  jobsDir: join(start.stateDir, 'jobs'), runtimeRoot: packageRoot(), headAddress: address, clock: systemClock, store: gcs,
  credentials: { mint: (jobId) => credentials.mintJob(jobId), revoke: (jobId) => credentials.revokeJob(jobId) },
  onEnded: (jobId) => h.jobEnded(jobId),
  uploadLimits: { maxBytes: config.raylaunch.max_upload_mb * MIB, maxFiles: config.raylaunch.max_upload_files },
});
const readModel = new ClusterReadModel({ clusterName: config.cluster_name, address, cluster: h, jobs });

const kind = providerKind(config.provider.type);
const provider = await kind.load(config, {
  clusterName: config.cluster_name, stateDir: start.stateDir, onHead: true,
  nodeEnv: {
    RAYLAUNCH_STATE_DIR: start.stateDir, RAYLAUNCH_HEAD_ADDRESS: address,
  },
  nodeCredential: (nodeId) => credentials.mintNode(nodeId),
  entry: (k) => runtimeEntry(k === 'head' ? 'src/head/main.js' : 'src/worker/main.js'),
});
const autoscaler = new Autoscaler({
  provider, config, clock: systemClock, facts: () => readModel.autoscalerFacts(), typeResources: (t) => h.nodeTypes.resourcesOf(t), drain: (id) => h.drain(id), revokeNodes: (ids) => credentials.revokeNodes(ids), launchHash: (t) => launchHash(config, t),
  ...(kind.reachedOverSsh ? { nodeSetup: sshNodeSetup({ config, stateDir: start.stateDir, credential: (nodeId) => credentials.mintNode(nodeId), headAddress: address }) } : {}),
  stopBeforeTerminate: kind.hostPool !== undefined,
});

const sessions = new Sessions({ head: h, jobs });
const router = new Router({
  handlers: headHandlers({ head: h, sessions, jobs, readModel, autoscaler }), authorize: (peer, m) => authorize(peer, m, h.authFacts),
  frameDone: () => h.placeNow(), closed: (peer) => sessions.closed(peer), log,
});
const plane = new ControlPlane({
  listener, admit: (header) => credentials.table.lookup(header), handlers: router, health: () => ({ ok: true, cluster: config.cluster_name }),
  limits: { maxConnections: config.raylaunch.max_connections, maxMessageBytes: config.raylaunch.max_message_mb * MIB },
});

// The head is a node too: its agent runs in this process and talks to the head without a socket.
const { link } = loopback(router, start.node);
const headType = config.available_node_types[config.head_node_type];
const agent = new Agent(link, {
  nodeId: start.node, nodeType: config.head_node_type, kind: 'head', resources: nodeResources(headType?.resources), address: host, nodeDir: dir,
  runtimeRoot: packageRoot(), inlineLimit: config.raylaunch.inline_object_limit, heartbeatMs: 1000, store, token: objectCredential, maxObjectConnections: config.raylaunch.max_connections,
    ...(config.raylaunch.worker_user !== undefined ? { workerUser: config.raylaunch.worker_user } : {}),
  log: (line) => log(`agent: ${line}`),
});
link.send([{ type: 'hello', role: 'agent', clientId: `agent-${start.node}`, nodeId: start.node }]);
await agent.start();

const liveness = setInterval(() => h.checkLiveness(), 250);
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
  jobs.stopAll();
  agent.stop();
  void plane.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
