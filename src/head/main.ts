/**
 * The head service: control plane, GCS, scheduler, job manager and the keeper of min_workers, in one process.
 * Started by the head node's supervisor (src/runtime/supervisor.ts) with `--cluster <name> --node <id>`, which
 * also runs the head node's agent as a process of its own: a crash of this process leaves the node's worker
 * processes and the jobs' drivers running. The supervisor writes that agent's node credential on this process's
 * stdin; it is admitted for this node alone and kept in memory only.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { providerKind } from '../../providers/index.js';
import { systemClock } from '../common/clock.js';
import { headFile, type HeadInfo, readNodeStart } from '../common/node-args.js';
import { runtimeEntry, runtimeRoot } from '../common/package-root.js';
import { ControlPlane } from './control-plane.js';
import { headHttp } from './http/routes.js';
import { headDashboard } from './http/dashboard.js';
import { HeadMetrics } from './http/metrics.js';
import { metricsRoutes } from './http/metrics-routes.js';
import { HeadHistory } from './history-sampler.js';
import { ControlPortTakenError, listenKept } from './control-port.js';
import { claimStore } from './gcs/claim.js';
import { openStore } from './gcs/open.js';
import { redactRedisUrl } from './gcs/redis.js';
import { RaylaunchError } from '../common/errors.js';
import { Head } from './head.js';
import { authorize } from './authorize.js';
import { headHandlers } from './handlers.js';
import { ClusterReadModel } from './read-model.js';
import { Router } from './router.js';
import { Sessions } from './sessions.js';
import { JobManager } from './jobs/job-manager.js';
import { packedLimit } from './jobs/submission.js';
import { Autoscaler } from './autoscaler/loop.js';
import { launchHash } from '../config/hash.js';
import { nodeListenAddress } from '../common/net.js';
import { sshNodeSetup } from './ssh-nodes.js';
import { HeadCredentials, operatorDigest } from './credential-store.js';
import { credentialDigest, mintCredential } from '../common/credentials.js';
import { readSecretLine } from '../common/stdin-secret.js';

const start = readNodeStart(process.argv);
const { config } = start;
// Loopback for the process provider; the node's private address where workers on other hosts must reach it.
const host = nodeListenAddress();

const MIB = 1024 * 1024;
const startedAt = Date.now();

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

// The GCS store before anything listens: a head serves only the state it loaded. A store it cannot open (a
// wrong redis password, an unreachable redis) stops it with the setting to fix; a write that fails later (another
// head writing the same store, a lost redis, a full disk) stops it too, since its tables are then ahead of the
// store: the supervisor restarts it and it loads what the store has.
function storeFailed(e: unknown): never {
  const hint = e instanceof RaylaunchError && e.hint ? `\nhint: ${e.hint}` : '';
  process.stderr.write(`raylaunch head: the GCS store (${redactRedisUrl(config.raylaunch.gcs_storage)}) failed: ${(e as Error).message}${hint}\n`);
  process.exit(1);
}
const gcs = await openStore(config.raylaunch.gcs_storage, {
  clusterName: config.cluster_name, stateDir: start.stateDir, failed: storeFailed,
  ...(config.raylaunch.gcs_storage_password_file !== undefined ? { passwordFile: config.raylaunch.gcs_storage_password_file } : {}),
}).catch(storeFailed);
const claim = await claimStore(gcs, { operator: operatorDigest(start.stateDir), head: start.node }).catch(storeFailed);
const CLAIMED = { kept: 'loaded', rehead: 'kept from the cluster\'s last head', emptied: 'left by an earlier cluster of this name: emptied', new: 'new' } as const;
log(`GCS store: ${redactRedisUrl(config.raylaunch.gcs_storage)} (${CLAIMED[claim]}: ${gcs.table('nodes').size} nodes, ${gcs.table('jobs').size} jobs)`);

// The port next, the same on every start of this cluster's head: the head's address is part of what the job
// manager and the provider hand out. It answers "starting" until the control plane takes it (below), once
// everything behind the router exists.
const listener = await listenKept(host, config.raylaunch.control_plane_port, start.stateDir).catch((e: unknown) => {
  if (!(e instanceof ControlPortTakenError)) throw e;
  log(`raylaunch head: ${e.message}`);
  return process.exit(1); // not 0: the supervisor restarts a head that failed, with growing delays
});
const address = `${host}:${listener.port}`;
const credentials = new HeadCredentials(start.stateDir, gcs);
// The head node's own agent's credential, from the supervisor; none when this head was started some other way.
const ownAgent = await readSecretLine(process.stdin).catch((e: Error) => {
  log(`raylaunch head: ${e.message}; the head node's agent cannot connect`);
  return '';
});
if (ownAgent) credentials.table.addDigest(credentialDigest(ownAgent), { kind: 'node', nodeId: start.node });
// Minted afresh by each head and kept in memory: agents and drivers get it in their welcome, to fetch objects.
const objectCredential = mintCredential('object');
const h = new Head({
  objectCredential,
  clusterName: config.cluster_name, headNodeId: start.node, config, clock: systemClock, store: gcs,
  // head.json says the head is up once its own node can run work, as `up` waits for.
  ownNodeRegistered: () => writeHeadInfo(),
  saveConfig: (next) => {
    const file = join(start.stateDir, 'config.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(next, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  },
});
const jobs = new JobManager({
  jobsDir: join(start.stateDir, 'jobs'), runtimeRoot: runtimeRoot().dir, headAddress: address, clock: systemClock, store: gcs,
  credentials: { mint: (jobId) => credentials.mintJob(jobId), revoke: (jobId) => credentials.revokeJob(jobId) },
  onEnded: (jobId) => h.jobEnded(jobId),
  uploadLimits: { maxBytes: config.raylaunch.max_upload_mb * MIB, maxFiles: config.raylaunch.max_upload_files },
  driverGraceMs: config.raylaunch.head_reconnect_timeout_s * 1000,
});
const readModel = new ClusterReadModel({ clusterName: config.cluster_name, address, cluster: h, jobs });
const metrics = new HeadMetrics({ read: () => readModel.status(null), connections: (): number => plane.connections, processMetrics: true });
// The dashboard's charts: the last hour in memory (a restarted head starts a new one).
const history = new HeadHistory({ clock: systemClock, read: () => readModel.status(null) });

const kind = providerKind(config.provider.type);
const provider = await kind.load(config, {
  clusterName: config.cluster_name, stateDir: start.stateDir, onHead: true,
  nodeEnv: {
    RAYLAUNCH_STATE_DIR: start.stateDir, RAYLAUNCH_HEAD_ADDRESS: address,
  },
  nodeCredential: (nodeId) => credentials.mintNode(nodeId),
  entry: (k) => runtimeEntry(k === 'head' ? 'src/runtime/supervisor.js' : 'src/worker/main.js'),
});
const autoscaler = new Autoscaler({
  provider, config, clock: systemClock, facts: () => readModel.autoscalerFacts(), typeResources: (t) => h.nodeTypes.resourcesOf(t), drain: (id) => h.drain(id), revokeNodes: (ids) => credentials.revokeNodes(ids), launchHash: (t) => launchHash(config, t),
  ...(kind.reachedOverSsh ? { nodeSetup: sshNodeSetup({ config, stateDir: start.stateDir, credential: (nodeId) => credentials.mintNode(nodeId), headAddress: address }) } : {}),
  stopBeforeTerminate: kind.hostPool !== undefined, store: gcs, metrics: metrics.autoscaler,
});

const reconnectTimeoutS = config.raylaunch.head_reconnect_timeout_s;
const sessions = new Sessions({ head: h, jobs, reconnectTimeoutS, recovered: () => h.recovered });
const router = new Router({
  handlers: headHandlers({ head: h, sessions, jobs, readModel, autoscaler }), authorize: (peer, m) => authorize(peer, m, h.authFacts),
  frameDone: () => h.placeNow(), closed: (peer, refused) => sessions.closed(peer, refused), log,
});
const plane = new ControlPlane({
  listener, admit: (header) => credentials.table.lookup(header), handlers: router, health: () => ({ ok: true, cluster: config.cluster_name }),
  routes: headHttp({
    lookup: (header) => credentials.table.lookup(header), log, metrics: metricsRoutes({ metrics, history }),
    jobs: { jobs, packagesDir: join(start.stateDir, 'packages'), packageLimitBytes: packedLimit({ maxBytes: config.raylaunch.max_upload_mb * MIB, maxFiles: config.raylaunch.max_upload_files }), headHost: host },
    dashboard: headDashboard({ clusterName: config.cluster_name, stateDir: start.stateDir, readModel, autoscaler, jobs }),
  }),
  traffic: metrics.traffic,
  limits: { maxConnections: config.raylaunch.max_connections, maxMessageBytes: config.raylaunch.max_message_mb * MIB },
});

const liveness = setInterval(() => h.checkLiveness(), 250);
autoscaler.start();
history.start();

function writeHeadInfo(): void {
  const info: HeadInfo = { nodeId: start.node, address, pid: process.pid, startedAt };
  const file = headFile(start.stateDir);
  writeFileSync(`${file}.tmp`, JSON.stringify(info), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
process.stdout.write(`raylaunch head ${start.node} of cluster ${config.cluster_name} listening on ${address}\n`);
// The supervisor starts the head node's agent once it knows where the head listens.
process.send?.({ type: 'listening', address });

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`raylaunch head stopping (${signal})\n`);
  clearInterval(liveness);
  autoscaler.stop();
  history.stop();
  // Drivers are detached: the head ends them (killed after 1.5 s) before it goes, or nothing would. The store
  // last: jobs stopped here are recorded STOPPED in it.
  void Promise.all([jobs.stopAll(1500), plane.close()]).then(() => gcs.close()).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 4000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
