import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { GceMetadata, GceValue } from '../../../src/worker/gce-metadata.js';
import { GcePreemptionWatcher, LONG_POLL_S, PREEMPTED_PATH } from '../../../src/worker/gce-preemption.js';
import { isGcePreemptibleType, preemptionWatch } from '../../../src/worker/preemption.js';
import { SpotWatcher } from '../../../src/worker/spot-watcher.js';

const config = (provider: 'gcp' | 'aws' | 'process', nodeConfig: Record<string, unknown>) => applyDefaults({
  provider: provider === 'gcp' ? { type: 'gcp', project_id: 'p', region: 'us-central1', availability_zone: 'us-central1-a' } : provider === 'aws' ? { type: 'aws', region: 'us-west-2' } : { type: 'process' },
  head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, w: { resources: { CPU: 1 }, node_config: nodeConfig } },
});

describe('which preemption watch a node runs', () => {
  const TYPES: [string, ReturnType<typeof config>, boolean][] = [
    ['a gcp type with provisioningModel SPOT is watched', config('gcp', { scheduling: { provisioningModel: 'SPOT' } }), true],
    ['Ray\'s list shape, preemptible: true, is watched', config('gcp', { scheduling: [{ preemptible: true }, { onHostMaintenance: 'TERMINATE' }] }), true],
    ['an on-demand gcp type is not', config('gcp', { machineType: 'e2-small' }), false],
    ['provisioningModel STANDARD is not', config('gcp', { scheduling: { provisioningModel: 'STANDARD' } }), false],
    ['a malformed scheduling is not (it never launched)', config('gcp', { scheduling: 'SPOT' }), false],
    ['another provider is never', config('process', { scheduling: { provisioningModel: 'SPOT' } }), false],
  ];
  for (const [name, c, want] of TYPES) it(name, () => assert.equal(isGcePreemptibleType(c, 'w'), want));

  const h = { onNotice: () => undefined, onError: () => undefined };
  it('a gcp Spot type gets the GCE watch, an aws spot type the EC2 one, an on-demand type none', () => {
    assert.ok(preemptionWatch(config('gcp', { scheduling: { provisioningModel: 'SPOT' } }), 'w', h, { GCE_METADATA_HOST: '127.0.0.1:9' }) instanceof GcePreemptionWatcher);
    assert.ok(preemptionWatch(config('aws', { InstanceMarketOptions: { MarketType: 'spot' } }), 'w', h, { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' }) instanceof SpotWatcher);
    assert.equal(preemptionWatch(config('gcp', {}), 'w', h, {}), undefined);
    assert.equal(preemptionWatch(config('aws', {}), 'w', h, {}), undefined);
  });
});

describe('the GCE preemption watch', () => {
  const watchWith = async (answers: (GceValue | Error)[]) => {
    const asked: { path: string; wait?: { lastEtag: string; timeoutSec: number } }[] = [];
    const metadata: GceMetadata = {
      get: async (path, wait) => {
        asked.push({ path, ...(wait ? { wait } : {}) });
        const a = answers.shift();
        if (a === undefined) return new Promise<never>(() => undefined); // held, as a long-poll with no change
        if (a instanceof Error) throw a;
        return a;
      },
    };
    const errors: string[] = [];
    let notices = 0;
    await new Promise<void>((resolve) => {
      const w = new GcePreemptionWatcher({ metadata, retryMs: 0, onNotice: () => { notices++; w.stop(); resolve(); }, onError: (e) => errors.push(e.message) });
      w.start();
    });
    return { asked, errors, notices };
  };

  it('a node already preempted when its agent starts is noticed by the first read', async () => {
    const r = await watchWith([{ body: 'TRUE', etag: 'e0' }]);
    assert.equal(r.notices, 1);
    assert.deepEqual(r.asked, [{ path: PREEMPTED_PATH }]);
  });

  it('reads once, then long-polls from the ETag it was given until TRUE', async () => {
    const r = await watchWith([{ body: 'FALSE', etag: 'e1' }, { body: 'FALSE', etag: 'e1' }, { body: 'TRUE', etag: 'e2' }]);
    assert.equal(r.notices, 1);
    assert.deepEqual(r.asked.map((a) => a.wait), [undefined, { lastEtag: 'e1', timeoutSec: LONG_POLL_S }, { lastEtag: 'e1', timeoutSec: LONG_POLL_S }]);
  });

  it('says a failed call once while it keeps reading, and goes on from the ETag it had', async () => {
    const r = await watchWith([new Error('down'), new Error('down'), { body: 'FALSE', etag: 'e1' }, new Error('reset'), { body: 'TRUE', etag: 'e2' }]);
    assert.equal(r.notices, 1);
    assert.deepEqual(r.errors, ['down', 'reset']);
    assert.deepEqual(r.asked.map((a) => a.wait?.lastEtag), [undefined, undefined, undefined, 'e1', 'e1']);
  });
});
