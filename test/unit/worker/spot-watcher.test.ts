import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { InstanceMetadata } from '../../../src/worker/instance-metadata.js';
import { isSpotType, parseSpotNotice, SPOT_NOTICE_PATH, type SpotNotice, SpotWatcher } from '../../../src/worker/spot-watcher.js';

describe('the spot interruption notice', () => {
  const BODIES: [string, string, SpotNotice | undefined][] = [
    ['a terminate notice', '{"action":"terminate","time":"2026-01-01T00:02:00Z"}', { action: 'terminate', time: '2026-01-01T00:02:00Z' }],
    ['a stop notice', '{"action":"stop","time":"2026-01-01T00:02:00Z"}', { action: 'stop', time: '2026-01-01T00:02:00Z' }],
    ['an unknown action is no notice', '{"action":"reboot","time":"2026-01-01T00:02:00Z"}', undefined],
    ['a document without a time is no notice', '{"action":"terminate"}', undefined],
    ['text that is not JSON is no notice', '<html>not found</html>', undefined],
    ['JSON null is no notice', 'null', undefined],
  ];
  for (const [name, body, want] of BODIES) it(`parse: ${name}`, () => assert.deepEqual(parseSpotNotice(body), want));

  const spotConfig = (provider: 'aws' | 'process', market?: string) => applyDefaults({
    provider: provider === 'aws' ? { type: 'aws', region: 'us-west-2' } : { type: 'process' }, head_node_type: 'head',
    available_node_types: { head: { resources: { CPU: 0 } }, w: { resources: { CPU: 1 }, node_config: market ? { InstanceMarketOptions: { MarketType: market } } : {} } },
  });
  const TYPES: [string, ReturnType<typeof spotConfig>, boolean][] = [
    ['an aws type with MarketType spot is watched', spotConfig('aws', 'spot'), true],
    ['an on-demand aws type is not', spotConfig('aws'), false],
    ['another market type is not', spotConfig('aws', 'capacity-block'), false],
    ['another provider is never', spotConfig('process', 'spot'), false],
  ];
  for (const [name, config, want] of TYPES) it(name, () => assert.equal(isSpotType(config, 'w'), want));

  it('the watcher reports one notice, once, and says a failed look once while it keeps looking', async () => {
    const answers: (string | undefined | Error)[] = [undefined, new Error('down'), new Error('down'), '{"action":"terminate","time":"T"}', '{"action":"terminate","time":"T"}'];
    const asked: string[] = [];
    const metadata: InstanceMetadata = {
      get: async (path) => {
        asked.push(path);
        const a = answers.shift();
        if (a instanceof Error) throw a;
        return a;
      },
    };
    const notices: SpotNotice[] = [];
    const errors: string[] = [];
    const w = new SpotWatcher({ metadata, onNotice: (n) => notices.push(n), onError: (e) => errors.push(e.message) });
    for (let i = 0; i < 5; i++) await w.poll();
    assert.deepEqual(notices, [{ action: 'terminate', time: 'T' }]);
    assert.deepEqual(errors, ['down']);
    assert.ok(asked.every((p) => p === SPOT_NOTICE_PATH));
  });
});
