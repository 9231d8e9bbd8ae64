import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { configChanges, formatLiveChange, withoutLiveSettings } from '../../../src/config/changes.js';
import { canonicalJson } from '../../../src/config/hash.js';
import { valid } from '../../helpers/config.js';

const base = `cluster_name: demo
provider: {type: process}
max_workers: 4
idle_timeout_minutes: 5
available_node_types:
  head: {resources: {CPU: 1}}
  worker: {resources: {CPU: 2}, min_workers: 1, max_workers: 4}
head_node_type: head
setup_commands: [echo hi]
`;

/** [what changes, the edit to the YAML, settings taken live, settings that need a restart] */
const CASES: [string, (y: string) => string, string[], string[]][] = [
  ['nothing', (y) => y, [], []],
  ['idle_timeout_minutes', (y) => y.replace('idle_timeout_minutes: 5', 'idle_timeout_minutes: 1'), ['idle_timeout_minutes 5 → 1'], []],
  ['max_workers and upscaling_speed', (y) => y.replace('max_workers: 4\n', 'max_workers: 6\nupscaling_speed: 2\n'), ['max_workers 4 → 6', 'upscaling_speed 1 → 2'], []],
  ['a node type\'s min_workers and max_workers', (y) => y.replace('min_workers: 1, max_workers: 4', 'min_workers: 0, max_workers: 3'),
    ['available_node_types.worker.min_workers 1 → 0', 'available_node_types.worker.max_workers 4 → 3'], []],
  ['setup_commands (merged into the head\'s and workers\' own)', (y) => y.replace('echo hi', 'echo bye'), [], ['head_setup_commands', 'setup_commands', 'worker_setup_commands']],
  ['a node type\'s resources, with a live change beside it', (y) => y.replace('{CPU: 2}, min_workers: 1', '{CPU: 4}, min_workers: 2'),
    ['available_node_types.worker.min_workers 1 → 2'], ['available_node_types.worker.resources']],
  ['a node type added', (y) => y.replace('head_node_type', '  gpu: {resources: {GPU: 1}}\nhead_node_type'), [], ['available_node_types.gpu']],
];

describe('config changes: what the running head takes live, what needs a restart', () => {
  for (const [what, edit, live, restart] of CASES) {
    it(`a change of ${what}`, async () => {
      const before = (await valid(base)).config;
      const after = (await valid(edit(base))).config;
      const c = configChanges(before, after);
      assert.deepEqual([c.live.map(formatLiveChange), c.restart], [live, restart]);
    });
  }

  it('a restart is decided without the live settings: a live-only change keeps the same restart hash', async () => {
    const before = (await valid(base)).config;
    const live = (await valid(base.replace('idle_timeout_minutes: 5', 'idle_timeout_minutes: 1').replace('min_workers: 1', 'min_workers: 2'))).config;
    const setup = (await valid(base.replace('echo hi', 'echo bye'))).config;
    assert.equal(canonicalJson(withoutLiveSettings(live)), canonicalJson(withoutLiveSettings(before)));
    assert.notEqual(canonicalJson(withoutLiveSettings(setup)), canonicalJson(withoutLiveSettings(before)));
  });
});
