import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { formatStatus } from '../../../src/cli/format.js';
import type { AutoscalerJson, StatusJson } from '../../../src/cli/status-json.js';

const status = (autoscaler: Partial<AutoscalerJson>): StatusJson => ({
  cluster_name: 'c', head_address: '10.0.0.1:6380', runtime_version: '0.1.0-abcdef012345', nodes: [], demands: [], jobs: [],
  tasks: { pending: 0, running: 0, finished: 0, failed: 0 }, actors: [], placement_groups: [], requested_resources: [], failures: [], relayed_bytes: 0,
  autoscaler: { events: [], pending: [], nodes: [], launching: [], errors: 0, ...autoscaler },
});

describe('status output', () => {
  it('shows the runtime build the head runs and the CLI version', () => {
    assert.match(formatStatus(status({})).split('\n')[0] ?? '', /runtime 0\.1\.0-abcdef012345 {2}cli \d+\.\d+\.\d+/);
  });

  it('shows each worker still being set up, with its step', () => {
    const out = formatStatus(status({ launching: [{ node_id: '10.0.0.5', node_type: 'cpu', status: 'setting-up' }] }));
    assert.match(out, /^ {2}10\.0\.0\.5: launching \(cpu\): setting-up$/m);
    assert.doesNotMatch(out, /nothing to do/);
  });

  it('says the autoscaler has nothing to do when nothing waits or launches', () => {
    assert.match(formatStatus(status({})), /^ {2}nothing to do$/m);
  });
});
