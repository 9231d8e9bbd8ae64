// The GCP provider passes the conformance suite every provider passes, against the fake GCP through the real
// client library, with the user's Application Default Credentials as `up` finds them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'mocha';
import { createProvider } from '../../../providers/index.js';
import type { GcpProvider } from '../../../providers/gcp/index.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { FakeGcp, InMemoryHostPool } from '../../fakes/gcp/index.js';
import { pointCliAtFake } from '../../helpers/gcp-adc.js';
import { computeClients, isolateGcpEnv } from '../../helpers/gcp-env.js';
import { providerConformance } from './conformance.js';

// Inside a describe: hooks at a file's top level are the root suite's, which would keep the isolated HOME and
// variables for every test of the run (and break the ones that read `~` on a test host).
describe('the GCP provider, its environment isolated', () => {
  let restoreEnv: () => void = () => undefined;
  before(() => { restoreEnv = isolateGcpEnv(); });
  after(() => restoreEnv());
  providerConformance('gcp (fake GCP, real client library)', async () => {
    const fake = await FakeGcp.start({ pool: new InMemoryHostPool(Array.from({ length: 40 }, (_, i) => `127.0.7.${i + 1}`)) });
    pointCliAtFake(fake);
    const dir = mkdtempSync(join(tmpdir(), 'rl-gcp-conf-'));
    const given = applyDefaults({
      cluster_name: `conf-${Math.random().toString(36).slice(2, 8)}`, max_workers: 20, head_node_type: 'head_type',
      provider: { type: 'gcp', region: 'us-central1', availability_zone: 'us-central1-a', project_id: fake.project }, raylaunch: { ssh_ingress_cidr: '10.9.0.0/24' },
      available_node_types: {
        head_type: { node_config: { machineType: 'e2-small' }, resources: {} },
        cpu_small: { node_config: { machineType: 'e2-small' }, resources: {}, min_workers: 0, max_workers: 20 },
      },
    });
    const provider = await createProvider(given, { clusterName: given.cluster_name, stateDir: dir, nodeEnv: {}, entry: () => '/none.js' }) as GcpProvider;
    await provider.prepare(given, () => undefined);
    const admin = computeClients(fake);
    return {
      provider,
      crash: async (id) => { await admin.instances.delete({ project: fake.project, zone: 'us-central1-a', instance: id }); },
      cleanup: async () => {
        await provider.close();
        await admin.close();
        await fake.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
