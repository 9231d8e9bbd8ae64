// The local provider against real sshd hosts: every launch really sets the host up over SSH (runtime upload,
// config, supervisor), and terminate really stops it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { FilePoolStore, LocalProvider } from '../../providers/local/index.js';
import { applyDefaults } from '../../src/config/defaults.js';
import { localRuntimeDir, readRuntimeManifest } from '../../src/runtime/layout.js';
import { workerSetup } from '../../src/updater/ssh-setup.js';
import { SshPool } from '../../src/updater/ssh.js';
import { createHosts, type TestHostPool } from '../hosts/hosts.js';
import { testHostsOrFail } from '../helpers/needs-hosts.js';
import { raylaunchPids } from '../helpers/local-cluster.js';
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

  providerConformance('local (real SSH hosts)', async () => {
    const [head, ...workers] = hosts.hosts;
    const name = `conf${seq++}`;
    const config = applyDefaults({
      cluster_name: name, provider: { type: 'local', head_ip: head?.ip, worker_ips: workers.map((w) => w.ip) },
      auth: { ssh_user: 'root', ssh_private_key: hosts.keyPath },
      available_node_types: { cpu_small: { resources: { CPU: 1 }, min_workers: 0, max_workers: 3 }, head_type: { resources: {} } }, head_node_type: 'head_type',
    });
    const ssh = new SshPool({ connectTimeoutMs: 10_000 });
    const m = readRuntimeManifest(localRuntimeDir());
    const setup = workerSetup({
      config, stateDir: join(dir, name), runners: ssh, token: 'conformance-token', headAddress: () => `${head?.ip}:1`,
      runtime: { dir: localRuntimeDir(), version: m.version, hash: m.hash },
      target: (ip) => ({ host: ip, user: 'root', privateKeyPath: hosts.keyPath, knownHostsPath: join(dir, 'known_hosts') }),
    });
    const provider = new LocalProvider({
      clusterName: name, headIp: head?.ip ?? '', workerIps: workers.map((w) => w.ip), store: new FilePoolStore(join(dir, name, 'pool.json')), ...setup,
    });
    return {
      provider,
      cleanup: async () => {
        const nodes = await provider.listNodes();
        await Promise.allSettled(nodes.map((n) => provider.settled(n.id)));
        await provider.terminate(nodes.map((n) => n.id));
        await ssh.close();
      },
    };
  }, { noCrash: true });

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
