import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { type NodeRecord, TestCluster } from '../../helpers/cluster.js';


const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What a task sends its agent straight onto its IPC channel, each once the agent could relay it to the head. */
const FORBIDDEN: [title: string, frame: string, reason: RegExp][] = [
  ['workers.down (the operator\'s)', `[{ type: 'workers.down', reqId: 1, client: 'cli', keepMinWorkers: false }]`, /it sent workers\.down, which a worker process may not send/],
  ['node.register and heartbeats of a forged node', `[
    { type: 'node.register', nodeId: 'fake-1', nodeType: 'worker', kind: 'worker', address: '127.0.0.1', objectAddress: '127.0.0.1:1', resources: { CPU: 64 }, pid: 1 },
    { type: 'heartbeat', nodeId: 'fake-1' }]`, /it sent node\.register, which a worker process may not send/],
  ['a put of an object id of another client', `[{ type: 'put', id: 'd-other.o0', owner: 'd-other', jobId: 'job-x', value: { kind: 'inline', data: new Uint8Array(1) } }]`,
    /it sent a put making d-other\.o0, an id not of its own/],
];

describe('a task is not the cluster: its agent relays only what a task needs, with its own ids (process cluster)', function () {
  this.timeout(120_000);
  const name = `bounds${process.pid}`;
  const cluster = new TestCluster(name, [
    `cluster_name: ${name}`, 'provider: {type: process}', 'max_workers: 1', 'available_node_types:',
    '  head: {resources: {CPU: 1, on_head: 1}}', '  worker: {resources: {CPU: 2, on_worker: 1}, min_workers: 1, max_workers: 1}', 'head_node_type: head', '',
  ].join('\n'));
  const records = () => cluster.nodeRecords();
  const logOf = (r: NodeRecord) => cluster.nodeLog(r);
  let pids: number[];
  let worker: NodeRecord;

  before(async () => {
    await cluster.start();
    pids = records().map((r) => r.pid).sort();
    const w = records().find((r) => r.kind === 'worker');
    assert.ok(w);
    worker = w;
  });
  after(async () => { await cluster.stop(); });

  for (const [title, frame, reason] of FORBIDDEN) {
    it(`a task that sends ${title} is killed by its agent; nothing reaches the head, and every node stays`, async () => {
      const dir = cluster.writeJob({
        'job.ts': `
import { get, main, remote } from 'raylaunch';
export const rogue = remote(function rogue() { process.send?.(${frame}); return new Promise(() => undefined); });
main(async () => {
  try {
    await get(rogue.options({ resources: { on_worker: 1 }, maxRetries: 0 }).remote());
    console.log('returned');
  } catch (e) {
    console.log((e as Error).name + ': ' + (e as Error).message);
  }
});
`,
      });
      const r = await cluster.submit(join(dir, 'job.ts'));
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^WorkerCrashedError: task rogue failed 1 time: its worker process was killed by its agent: /m);
      assert.match(r.stdout, reason);
      assert.match(logOf(worker), reason);
      const s = await cluster.status();
      assert.deepEqual(s.nodes.map((n) => `${n.node_id}:${n.state}`).sort(), records().map((n) => `${n.id}:ALIVE`).sort(), 'no forged node, none lost');
      assert.deepEqual(records().map((n) => n.pid).sort(), pids, 'the same head and agent processes');
      assert.ok(pids.every(alive));
    });
  }

  it('an object fetch for a task goes to the object server of the node it names by id, never to an address the task names', async () => {
    const dir = cluster.writeJob({
      'job.ts': `
import { createServer, type AddressInfo } from 'node:net';
import { get, getRuntimeContext, main, nodes, remote } from 'raylaunch';
// A listener of the task's own, named as the object server of a node; the agent's answer ends the wait.
export const bait = remote(async function bait(nodeId: string) {
  const heard: string[] = [];
  const server = createServer((s) => { heard.push('connection'); s.on('data', (d) => heard.push(d.toString())); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = '127.0.0.1:' + (server.address() as AddressInfo).port;
  const answered = new Promise<unknown>((resolve) => process.on('message', (batch: { type?: string; reqId?: number; data?: unknown }[]) => {
    for (const m of batch) if (m.type === 'object.data' && m.reqId === 987654) resolve(m.data);
  }));
  process.send?.([{ type: 'object.pull', reqId: 987654, client: 'x', id: 'no-such-object', nodeId: nodeId || getRuntimeContext().nodeId, address }]);
  const data = await answered;
  server.close();
  return { data, heard };
});
main(async () => {
  const head = (await nodes()).find((n) => n.kind === 'head');
  for (const target of ['', head?.nodeId ?? '?']) {
    const r = await get(bait.options({ resources: { on_worker: 1 } }).remote(target));
    console.log((target ? 'another node' : 'its own node') + ': ' + JSON.stringify(r));
  }
});
`,
    });
    const r = await cluster.submit(join(dir, 'job.ts'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^its own node: \{"data":null,"heard":\[\]\}$/m);
    assert.match(r.stdout, /^another node: \{"data":null,"heard":\[\]\}$/m);
    assert.doesNotMatch(r.stdout, new RegExp(cluster.token()));
  });
});
