// The local provider with its pool in a file, and the autoscaler's executor against real sshd hosts: a launched
// host is really set up over SSH (runtime upload, config, supervisor), and a terminated one really stopped.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { FilePoolStore, LocalProvider } from '../../../providers/local/index.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { localRuntime } from '../../../src/runtime/layout.js';
import { Executor } from '../../../src/head/autoscaler/executor.js';
import type { Outcome } from '../../../src/head/autoscaler/outcomes.js';
import { setupLogPath, workerSetup } from '../../../src/updater/ssh/setup.js';
import { SshPool } from '../../../src/updater/ssh/pool.js';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';
import { raylaunchPids } from '../../helpers/local-cluster.js';
import { providerConformance } from './conformance.js';

describe('local provider on real SSH hosts', function () {
  this.timeout(60_000);
  if (!testHostsOrFail()) return;
  let hosts: TestHostPool;
  let dir: string;
  let seq = 0;
  before(async () => {
    hosts = await createHosts(4);
    dir = mkdtempSync(join(tmpdir(), 'rl-local-conf-'));
  });
  after(async () => {
    await hosts?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const configFor = (name: string) => {
    const [head, ...workers] = hosts.hosts;
    return applyDefaults({
      cluster_name: name, provider: { type: 'local', head_ip: head?.ip, worker_ips: workers.map((w) => w.ip) },
      auth: { ssh_user: 'root', ssh_private_key: hosts.keyPath },
      available_node_types: { cpu_small: { resources: { CPU: 1 }, min_workers: 0, max_workers: 3 }, head_type: { resources: {} } }, head_node_type: 'head_type',
    });
  };
  const poolProvider = (name: string) => {
    const [head, ...workers] = hosts.hosts;
    return new LocalProvider({ clusterName: name, headIp: head?.ip ?? '', workerIps: workers.map((w) => w.ip), store: new FilePoolStore(join(dir, name, 'pool.json')) });
  };

  providerConformance('local (pool in its file, for real SSH hosts)', async () => {
    const provider = poolProvider(`conf${seq++}`);
    return { provider, cleanup: async () => provider.terminate((await provider.listNodes()).map((n) => n.id)) };
  }, { noCrash: true });

  it('the autoscaler\'s executor sets launched hosts up over SSH, and stops raylaunch there before handing them back', async () => {
    const name = `exec${seq++}`;
    const config = configFor(name);
    const ssh = new SshPool({ connectTimeoutMs: 10_000 });
    const setup = workerSetup({
      config, stateDir: join(dir, name), runners: ssh, credential: () => 'rln_conformance', headAddress: () => `${hosts.hosts[0]?.ip}:1`,
      runtime: localRuntime(),
      target: (ip) => ({ host: ip, user: 'root', privateKeyPath: hosts.keyPath, knownHostsPath: join(dir, 'known_hosts') }),
    });
    const provider = poolProvider(name);
    const outcomes: Outcome[] = [];
    const executor = new Executor({
      provider, nodeSetup: { setUp: (n, onStep) => setup.setUp(n, onStep), stop: (n) => setup.stop(n), logOf: (n) => setupLogPath(join(dir, name), n.id) },
      stopBeforeTerminate: true, drain: () => undefined, revoke: () => undefined, launchTags: () => ({}), maxConcurrentLaunches: () => 10, report: (o) => outcomes.push(o),
    });
    try {
      const listed = await executor.launch([{ nodeType: 'cpu_small', count: 2, requestId: 'r1', reason: 'test' }]);
      const nodes = (listed ?? []).filter((n) => n.requestId === 'r1');
      assert.equal(nodes.length, 2);
      executor.setUp(nodes);
      await Promise.all(nodes.map((n) => executor.settled(n.id)));
      assert.deepEqual(outcomes.filter((o) => o.kind === 'setup-done').map((o) => o.kind === 'setup-done' && o.nodeId).sort(), nodes.map((n) => n.id).sort(), JSON.stringify(outcomes));
      for (const n of nodes) {
        const h = hosts.hosts.find((x) => x.ip === n.id) as TestHost;
        assert.notDeepEqual(await raylaunchPids(hosts, h), [], `raylaunch runs on ${n.id} once it is set up`);
      }
      await executor.terminate(nodes.map((n) => ({ id: n.id, reason: 'idle' })), new Map(nodes.map((n) => [n.id, n])));
      for (const n of nodes) assert.deepEqual(await raylaunchPids(hosts, hosts.hosts.find((x) => x.ip === n.id) as TestHost), [], `raylaunch left on ${n.id}`);
      assert.deepEqual(await provider.listNodes(), [], 'the hosts are back in the pool');
    } finally {
      await ssh.close();
    }
  });

  // A suite of its own: mocha runs a suite's tests before its child suites, and this must come last.
  describe('after the conformance cases', () => {
    it('leaves no raylaunch process on any host once every node is terminated', async () => {
      for (const h of hosts.hosts) {
        const left = await raylaunchPids(hosts, h);
        assert.deepEqual(left, [], `${h.ns}: ${left.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')).join('; ')}`);
      }
    });
  });
});
