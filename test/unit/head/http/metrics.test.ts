import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'mocha';
import { guardedServer } from '../../../../src/common/admission.js';
import { HeadMetrics, type MetricsReading } from '../../../../src/head/http/metrics.js';
import { metricsRoutes } from '../../../../src/head/http/metrics-routes.js';
import { headHttp } from '../../../../src/head/http/routes.js';
import type { Message } from '../../../../src/protocol/messages.js';
import { parsePrometheusText, type PromFamily, type PromType, sampleValue } from '../../../helpers/prom-text.js';

const node = (nodeType: string, state: 'ALIVE' | 'DRAINING' | 'DEAD', total: Record<string, number>, available: Record<string, number>) => ({ nodeType, state, total, available });

function reading(): MetricsReading {
  const r = {
    nodes: [
      node('head', 'ALIVE', { CPU: 0, memory: 1e9 }, { CPU: 0, memory: 1e9 }),
      node('cpu', 'ALIVE', { CPU: 4, memory: 8e9 }, { CPU: 1, memory: 6e9 }),
      node('cpu', 'DRAINING', { CPU: 4, memory: 8e9 }, { CPU: 4, memory: 8e9 }),
      node('cpu', 'DEAD', { CPU: 4, memory: 8e9 }, { CPU: 0, memory: 0 }),
      node('gpu', 'ALIVE', { CPU: 8, GPU: 2, accel: 1 }, { CPU: 8, GPU: 0, accel: 1 }),
    ],
    demands: [
      { count: 3, infeasible: false, source: 'task' },
      { count: 2, infeasible: true, source: 'actor' },
      { count: 1, infeasible: false, source: 'placement_group' },
    ],
    tasks: { pending: 3, running: 5, finished: 40, failed: 2 },
    jobs: [{ state: 'RUNNING' as const }, { state: 'SUCCEEDED' as const }, { state: 'SUCCEEDED' as const }, { state: 'FAILED' as const }],
  } satisfies MetricsReading;
  return r;
}

const msg = (type: string) => ({ type }) as unknown as Message;

describe('the head\'s Prometheus metrics (HeadMetrics)', () => {
  let now: MetricsReading;
  let reads: number;
  let metrics: HeadMetrics;
  let families: Map<string, PromFamily>;
  const scrape = async () => { families = parsePrometheusText(await metrics.text()); };

  beforeEach(async () => {
    now = reading();
    reads = 0;
    metrics = new HeadMetrics({ read: () => { reads += 1; return now; }, connections: () => 7 });
    metrics.autoscaler.launched('cpu', 3);
    metrics.autoscaler.launched('gpu', 1);
    metrics.autoscaler.terminated('idle');
    metrics.autoscaler.terminated('idle');
    metrics.autoscaler.failed('quota', 'gpu');
    metrics.autoscaler.failed('tick', undefined);
    metrics.autoscaler.tick(0.02);
    metrics.autoscaler.tick(3);
    metrics.traffic.received([msg('submit_task'), msg('submit_task'), msg('get')], 300);
    metrics.traffic.received([], 1000); // a piece of a larger frame
    metrics.traffic.sent([msg('task_done')], 120);
    await scrape();
  });

  const FAMILIES: [string, PromType][] = [
    ['raylaunch_nodes', 'gauge'], ['raylaunch_cluster_resources', 'gauge'], ['raylaunch_cluster_resources_used', 'gauge'],
    ['raylaunch_tasks', 'gauge'], ['raylaunch_tasks_ended_total', 'counter'], ['raylaunch_pending_demands', 'gauge'],
    ['raylaunch_infeasible_demands', 'gauge'], ['raylaunch_jobs', 'gauge'], ['raylaunch_autoscaler_launches_total', 'counter'],
    ['raylaunch_autoscaler_terminations_total', 'counter'], ['raylaunch_autoscaler_failures_total', 'counter'],
    ['raylaunch_autoscaler_loop_duration_seconds', 'histogram'], ['raylaunch_control_plane_messages_received_total', 'counter'],
    ['raylaunch_control_plane_messages_sent_total', 'counter'], ['raylaunch_control_plane_received_bytes_total', 'counter'],
    ['raylaunch_control_plane_sent_bytes_total', 'counter'], ['raylaunch_control_plane_connections', 'gauge'],
  ];
  for (const [name, type] of FAMILIES) {
    it(`${name} is a ${type} with HELP`, () => {
      const f = families.get(name);
      assert.ok(f, `${name} is missing from:\n${[...families.keys()].join('\n')}`);
      assert.equal(f.type, type);
      assert.ok((f.help ?? '').length > 10, `${name}'s HELP says little: ${f.help ?? ''}`);
    });
  }

  it('every name follows the conventions: the raylaunch_ prefix, _total on counters only, base units', () => {
    for (const f of families.values()) {
      assert.match(f.name, /^raylaunch_[a-z_]+$/);
      assert.equal(f.name.endsWith('_total'), f.type === 'counter', f.name);
      assert.doesNotMatch(f.name, /_(milliseconds|ms|kb|mb|minutes)(_|$)/, f.name);
    }
  });

  const VALUES: [string, string, Record<string, string>, number | undefined][] = [
    ['nodes by type and state', 'raylaunch_nodes', { node_type: 'cpu', state: 'ALIVE' }, 1],
    ['a state no node of a type is in is 0, not missing', 'raylaunch_nodes', { node_type: 'gpu', state: 'DEAD' }, 0],
    ['dead nodes are counted as nodes', 'raylaunch_nodes', { node_type: 'cpu', state: 'DEAD' }, 1],
    ['resources total over the nodes not dead', 'raylaunch_cluster_resources', { resource: 'CPU' }, 16],
    ['memory in bytes', 'raylaunch_cluster_resources', { resource: 'memory' }, 17e9],
    ['resources used: total less available', 'raylaunch_cluster_resources_used', { resource: 'CPU' }, 3],
    ['a custom resource by its name', 'raylaunch_cluster_resources', { resource: 'accel' }, 1],
    ['GPUs used', 'raylaunch_cluster_resources_used', { resource: 'GPU' }, 2],
    ['tasks waiting', 'raylaunch_tasks', { state: 'pending' }, 3],
    ['tasks running', 'raylaunch_tasks', { state: 'running' }, 5],
    ['tasks finished since the head started', 'raylaunch_tasks_ended_total', { state: 'finished' }, 40],
    ['tasks failed', 'raylaunch_tasks_ended_total', { state: 'failed' }, 2],
    ['pending demands by source, counted in requests', 'raylaunch_pending_demands', { source: 'task' }, 3],
    ['infeasible demands are not counted as pending', 'raylaunch_pending_demands', { source: 'actor' }, 0],
    ['infeasible demands alone', 'raylaunch_infeasible_demands', { source: 'actor' }, 2],
    ['a feasible demand is not infeasible', 'raylaunch_infeasible_demands', { source: 'task' }, 0],
    ['jobs by state', 'raylaunch_jobs', { state: 'SUCCEEDED' }, 2],
    ['a job state with no job is 0', 'raylaunch_jobs', { state: 'STOPPED' }, 0],
    ['nodes launched by type', 'raylaunch_autoscaler_launches_total', { node_type: 'cpu' }, 3],
    ['terminations by reason', 'raylaunch_autoscaler_terminations_total', { reason: 'idle' }, 2],
    ['a launch failure by reason and type', 'raylaunch_autoscaler_failures_total', { reason: 'quota', node_type: 'gpu' }, 1],
    ['a failed tick has no node type', 'raylaunch_autoscaler_failures_total', { reason: 'tick' }, 1],
    ['messages received by type', 'raylaunch_control_plane_messages_received_total', { type: 'submit_task' }, 2],
    ['messages sent by type', 'raylaunch_control_plane_messages_sent_total', { type: 'task_done' }, 1],
    ['bytes received, pieces of frames included', 'raylaunch_control_plane_received_bytes_total', {}, 1300],
    ['bytes sent', 'raylaunch_control_plane_sent_bytes_total', {}, 120],
    ['connections', 'raylaunch_control_plane_connections', {}, 7],
  ];
  for (const [what, name, labels, value] of VALUES) {
    it(`${what}: ${name}${JSON.stringify(labels)} = ${value}`, () => assert.equal(sampleValue(families, name, labels), value));
  }

  it('the loop duration histogram counts each tick in seconds', () => {
    const h = 'raylaunch_autoscaler_loop_duration_seconds';
    assert.equal(sampleValue(families, h, {}, `${h}_count`), 2);
    assert.equal(sampleValue(families, h, {}, `${h}_sum`), 3.02);
    assert.equal(sampleValue(families, h, { le: '0.025' }, `${h}_bucket`), 1);
    assert.equal(sampleValue(families, h, { le: '5' }, `${h}_bucket`), 2);
  });

  it('the README\'s table names every metric the head exports', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    for (const name of families.keys()) assert.ok(readme.includes(`\`${name}\``), `README.md's metrics table lacks ${name}`);
  });

  it('a scrape reads the cluster once, whatever the number of metrics that read it', async () => {
    reads = 0;
    await scrape();
    assert.equal(reads, 1);
  });

  it('gauges follow the read model from one scrape to the next; what is gone is no longer reported', async () => {
    now = { ...reading(), nodes: [node('cpu', 'ALIVE', { CPU: 2 }, { CPU: 2 })] };
    await scrape();
    assert.equal(sampleValue(families, 'raylaunch_nodes', { node_type: 'gpu', state: 'ALIVE' }), undefined);
    assert.equal(sampleValue(families, 'raylaunch_cluster_resources', { resource: 'GPU' }), undefined);
    assert.equal(sampleValue(families, 'raylaunch_cluster_resources_used', { resource: 'CPU' }), 0);
  });

  it('counters only grow between scrapes', async () => {
    metrics.traffic.received([msg('get')], 10);
    metrics.autoscaler.launched('cpu', 1);
    now = { ...reading(), tasks: { pending: 0, running: 0, finished: 41, failed: 2 } };
    await scrape();
    assert.equal(sampleValue(families, 'raylaunch_control_plane_messages_received_total', { type: 'get' }), 2);
    assert.equal(sampleValue(families, 'raylaunch_autoscaler_launches_total', { node_type: 'cpu' }), 4);
    assert.equal(sampleValue(families, 'raylaunch_tasks_ended_total', { state: 'finished' }), 41);
  });

  it('the head process\'s own metrics come with the raylaunch_head_ prefix when asked for', async () => {
    const m = new HeadMetrics({ read: reading, processMetrics: true });
    const f = parsePrometheusText(await m.text());
    assert.equal(f.get('raylaunch_head_process_cpu_user_seconds_total')?.type, 'counter');
    assert.ok([...f.keys()].some((k) => k.startsWith('raylaunch_head_nodejs_eventloop_lag')));
  });
});

describe('GET /metrics and GET /api/cluster/history on the head\'s router', () => {
  let server: Server;
  let port = 0;
  const history = { interval_s: 5, t: [100, 105], series: { 'used:CPU': [1, 2] }, units: { 'used:CPU': 'count' as const } };
  before(async () => {
    const metrics = new HeadMetrics({ read: reading });
    const routes = headHttp({ lookup: (h) => (h === 'Bearer op' ? { kind: 'operator' } : h === 'Bearer node' ? { kind: 'node', nodeId: 'n' } : undefined), log: () => undefined, metrics: metricsRoutes({ metrics, history: { json: () => history } }) });
    ({ server } = guardedServer({ server: createServer(), admit: () => undefined, refusedText: 'no', maxPayload: 1024, health: () => ({}), accept: () => undefined, routes }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string, headers: Record<string, string> = {}) => new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }));
    }).on('error', reject).end();
  });

  const CASES: [string, string, Record<string, string>, number][] = [
    ['/metrics without a credential is 401', '/metrics', {}, 401],
    ['/metrics with a node\'s credential is 403', '/metrics', { authorization: 'Bearer node' }, 403],
    ['the history without a credential is 401', '/api/cluster/history', {}, 401],
  ];
  for (const [what, path, headers, status] of CASES) it(what, async () => assert.equal((await get(path, headers)).status, status));

  it('/metrics answers the operator in the Prometheus text format', async () => {
    const r = await get('/metrics', { authorization: 'Bearer op' });
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(sampleValue(parsePrometheusText(r.body), 'raylaunch_jobs', { state: 'FAILED' }), 1);
  });

  it('the history answers the operator with its columns', async () => {
    const r = await get('/api/cluster/history', { authorization: 'Bearer op' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), history);
  });
});
