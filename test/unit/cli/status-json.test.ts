import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { jobJson, statusJson } from '../../../src/cli/status-json.js';
import type { ClusterStatus } from '../../../src/protocol/messages.js';
import { assertOutput } from '../../helpers/output-schemas.js';

// Every optional part filled in (a demand's strategy, the autoscaler's stop reason), and resource names of each
// kind: Ray's own, lower case, and custom ones in any case.
const RESOURCES = { CPU: 2, GPU: 1, memory: 1e9, 'accelerator_type:A100': 1, myCustomThing: 3 };
const status: ClusterStatus = {
  clusterName: 'c', headAddress: '10.0.0.1:6380', runtimeVersion: '0.1.0-abcdef012345',
  nodes: [{ nodeId: 'head-1', nodeType: 'head', kind: 'head', address: '10.0.0.1', state: 'ALIVE', total: RESOURCES, available: { CPU: 1 }, pid: 42, lastHeartbeat: 1000, connectedAt: 990 }],
  demands: [{ resources: { myCustomThing: 1 }, count: 2, infeasible: false, source: 'placement_group', strategy: 'STRICT_SPREAD' }],
  jobs: [{ jobId: 'job-1', name: 'job.ts', state: 'RUNNING', exitCode: null, startedAt: 900, endedAt: null }],
  tasks: { pending: 1, running: 2, finished: 3, failed: 4 },
  actors: [{ actorId: 'a-1', cls: 'Counter', name: null, namespace: 'anonymous', jobId: 'job-1', state: 'ALIVE', nodeId: 'head-1', restarts: 0, resources: { CPU: 1 }, placementGroupId: 'pg-1' }],
  placementGroups: [{ pgId: 'pg-1', name: 'g', strategy: 'PACK', state: 'CREATED', bundles: [{ resources: { CPU: 1 }, nodeId: 'head-1' }, { resources: { GPU: 1 }, nodeId: null }] }],
  requestedResources: [{ GPU: 2 }],
  failures: [{ at: 950, kind: 'crashed', what: 'task f', message: 'worker died', nodeId: 'head-1' }],
  autoscaler: {
    events: [
      { at: 960, seq: 1, kind: 'launch', nodeType: 'gpu', count: 1, message: 'launch 1 × gpu' },
      { at: 961, seq: 2, kind: 'terminate', nodeId: 'i-0', reason: 'idle', message: 'terminate i-0: idle 60 s' },
      { at: 962, seq: 3, kind: 'backoff', nodeType: 'gpu', seconds: 10, message: 'gpu: no capacity; not launched again for 10 s' },
      { at: 963, seq: 4, kind: 'setup-failed', nodeId: 'i-1', step: 'setting-up', exitCode: 3, error: '`x` failed', log: '/l/setup-i-1.log', message: 'setting up i-1 failed: `x` failed' },
      { at: 964, seq: 5, kind: 'setup-failed', nodeId: 'i-2', step: null, exitCode: null, error: 'refused', log: '/l/setup-i-2.log', message: 'setting up i-2 failed: refused' },
      { at: 965, seq: 6, kind: 'error', message: 'tick failed' },
    ],
    pending: [{ resources: { GPU: 8 }, count: 1, why: 'no node type offers it' }],
    nodes: [{ nodeId: 'head-1', why: 'busy: running work' }],
    launching: [{ nodeId: 'i-1', nodeType: 'gpu', status: 'setting-up' }],
    stopped: 'AWS credentials were refused',
    errors: 1,
  },
  relayedBytes: 123,
};

describe('status --json: the protocol\'s status in the output vocabulary', () => {
  it('a status with every part filled in matches status.schema.json', () => {
    assertOutput('status', statusJson(status));
  });

  it('a status with no autoscaler and no demand strategy matches status.schema.json', () => {
    const { strategy: _strategy, ...demand } = status.demands[0] ?? assert.fail('no demand');
    assertOutput('status', statusJson({ ...status, autoscaler: null, demands: [demand] }));
  });

  it('keeps resource names as they are: they are data, not vocabulary', () => {
    const s = statusJson(status);
    assert.deepEqual(s.nodes[0]?.total, RESOURCES);
    assert.deepEqual(s.demands[0]?.resources, { myCustomThing: 1 });
    assert.deepEqual(s.requested_resources, [{ GPU: 2 }]);
  });

  it('an autoscaler event carries its kind\'s fields under snake_case names', () => {
    const events = statusJson(status).autoscaler?.events ?? [];
    assert.deepEqual(events.map((e) => ({ ...e, at: 0, seq: 0, message: '' })), [
      { at: 0, seq: 0, message: '', kind: 'launch', node_type: 'gpu', count: 1 },
      { at: 0, seq: 0, message: '', kind: 'terminate', node_id: 'i-0', reason: 'idle' },
      { at: 0, seq: 0, message: '', kind: 'backoff', node_type: 'gpu', seconds: 10 },
      { at: 0, seq: 0, message: '', kind: 'setup-failed', node_id: 'i-1', step: 'setting-up', exit_code: 3, error: '`x` failed', log: '/l/setup-i-1.log' },
      { at: 0, seq: 0, message: '', kind: 'setup-failed', node_id: 'i-2', step: null, exit_code: null, error: 'refused', log: '/l/setup-i-2.log' },
      { at: 0, seq: 0, message: '', kind: 'error' },
    ]);
  });

  it('names a job as Ray\'s Jobs API does', () => {
    assert.deepEqual(jobJson({ jobId: 'job-1', name: 'job.ts', state: 'FAILED', exitCode: 3, startedAt: 900, endedAt: 950 }),
      { job_id: 'job-1', name: 'job.ts', status: 'FAILED', exit_code: 3, start_time: 900, end_time: 950 });
  });

  it('a job that ended for a reason its exit code does not give carries it as message, and matches job-status.schema.json', () => {
    const message = 'the driver (client driver-1) lost its connection to the head and did not come back within 60 s (raylaunch.head_reconnect_timeout_s)';
    const json = jobJson({ jobId: 'job-1', name: 'job.ts', state: 'FAILED', exitCode: null, startedAt: 900, endedAt: 950, message });
    assert.equal(json.message, message);
    assertOutput('job-status', json);
  });

  it('carries every field: the ids of nodes, actors and groups under their snake_case names', () => {
    const s = statusJson(status);
    assert.deepEqual(
      [s.cluster_name, s.head_address, s.relayed_bytes, s.nodes[0]?.last_heartbeat, s.actors[0]?.placement_group_id, s.placement_groups[0]?.bundles.map((b) => b.node_id), s.failures[0]?.node_id, s.autoscaler?.launching[0]?.node_type, s.autoscaler?.stopped],
      ['c', '10.0.0.1:6380', 123, 1000, 'pg-1', ['head-1', null], 'head-1', 'gpu', 'AWS credentials were refused'],
    );
  });

  it('a node whose agent a restarted head still awaits has connected_at null, and matches the schema', () => {
    const { connectedAt: _c, ...awaited } = status.nodes[0] ?? assert.fail('no node');
    const s = statusJson({ ...status, nodes: [awaited, { ...awaited, nodeId: 'w-1', connectedAt: 2000 }] });
    assertOutput('status', s);
    assert.deepEqual(s.nodes.map((n) => [n.node_id, n.connected_at]), [['head-1', null], ['w-1', 2000]]);
  });
});
