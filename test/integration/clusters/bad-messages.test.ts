import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { pack } from '../../../src/common/pack.js';
import { type NodeRecord, TestCluster } from '../../helpers/cluster.js';
import { rawPeer } from '../../helpers/raw-peer.js';


const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const hello = (role: string, clientId: string, extra: Record<string, unknown> = {}) => ({ type: 'hello', role, clientId, ...extra });
const task = (over: Record<string, unknown>) => ({
  taskId: 'd-bad.t0', jobId: 'job-none', owner: 'd-bad', fn: 'f', name: 'bad', args: [], deps: [], returnId: 'd-bad.t0.r', resources: { CPU: 10_000 },
  maxRetries: 0, retryExceptions: false, ...over,
});
const submitJob = (over: Record<string, unknown>) => ({ type: 'job.submit', reqId: 1, name: 'refused.mjs', bundle: new TextEncoder().encode('export {};\n'), args: [], env: {}, ...over });

/** Frames a peer holding the token sent; each closes that connection, with the reason in the head's log. */
const BAD_FRAMES: [title: string, frames: unknown[], reason: RegExp][] = [
  ['the CLI sends a submit without its task (the frame of the report)', [[hello('cli', 'c1'), { type: 'submit' }]], /a malformed submit message \(\/task: expected required property\)/],
  ['a driver submits a task whose resources are not a map', [[hello('driver', 'd1')], [{ type: 'submit', task: task({ resources: null }) }]], /malformed submit message \(\/task\/resources/],
  ['a driver submits a task whose arguments are not a list', [[hello('driver', 'd2')], [{ type: 'submit', task: task({ args: 'x' }) }]], /malformed submit message \(\/task\/args/],
  ['a driver puts an object without a value', [[hello('driver', 'd3')], [{ type: 'put', id: 'x', owner: 'd3', jobId: 'y' }]], /malformed put message \(\/value/],
  ['a driver asks for capacity with bundles that are not a list', [[hello('driver', 'd4')], [{ type: 'resources.request', jobId: 'y', bundles: 'x' }]], /malformed resources\.request message \(\/bundles/],
  // The operator's credential is no node's: its hello as an agent goes no further (a node's own is tested in control-plane.test.ts).
  ['the operator\'s credential says hello as an agent', [[hello('agent', 'a1', { nodeId: 'fake-1' })], [{
    type: 'node.register', nodeId: 'fake-1', nodeType: 'worker', kind: 'worker', address: '127.0.0.1', objectAddress: '127.0.0.1:1', resources: { CPU: 'lots' }, pid: 1,
  }]], /the operator's credential may not connect as agent/],
  ['a message of a type named after what every object has', [[hello('cli', 'c2')], [{ type: 'constructor' }]], /no message has the type "constructor"/],
  // The reason quotes the type: longer in bytes than a close frame holds, it must be cut to fit rather than throw.
  ['a message whose type is a long name in another script', [[hello('driver', 'd5')], [{ type: 'é'.repeat(100) }]], /no message has the type "é{60}"/],
  ['a frame that is one message rather than a list', [hello('cli', 'c3')], /expected a list of messages/],
];

/** job.submit requests the head refuses with a reason, keeping the connection and starting nothing. */
const REFUSED_JOBS: [title: string, request: Record<string, unknown>, reason: RegExp][] = [
  ['a working directory with a path out of it', { workingDir: pack([{ path: 'ok.txt', mode: 0o644, data: new Uint8Array(1) }, { path: '../escaped', mode: 0o644, data: new Uint8Array(1) }]) },
    /--working-dir: refusing to unpack "\.\.\/escaped": it climbs out of the folder/],
  ['a variable whose value holds a NUL byte', { env: { MODE: 'a\0b' } }, /--env MODE: its value holds a NUL byte/],
  ['a variable whose name is none', { env: { 'A=B': 'x' } }, /--env "A=B" is not a variable name/],
  ['an argument holding a NUL byte', { args: ['ok', 'a\0b'] }, /argument 2 of the job holds a NUL byte/],
];

describe('one bad message closes only its sender, never a process (process cluster, end to end)', function () {
  this.timeout(120_000);
  const name = `badmsg${process.pid}`;
  // Custom resources place a task on the head node's agent (inside the head) or on the worker's.
  const cluster = new TestCluster(name, [
    `cluster_name: ${name}`, 'provider: {type: process}', 'max_workers: 1', 'available_node_types:',
    '  head: {resources: {CPU: 1, on_head: 1}}', '  worker: {resources: {CPU: 2, on_worker: 1}, min_workers: 1, max_workers: 1}', 'head_node_type: head', '',
  ].join('\n'));
  const records = () => cluster.nodeRecords();
  const logOf = (r: NodeRecord) => cluster.nodeLog(r);
  let head: NodeRecord;
  let worker: NodeRecord;

  before(async () => {
    await cluster.start();
    const rs = records();
    const h = rs.find((r) => r.kind === 'head');
    const w = rs.find((r) => r.kind === 'worker');
    assert.ok(h && w, JSON.stringify(rs));
    head = h;
    worker = w;
  });
  after(async () => { await cluster.stop(); });

  for (const [title, frames, reason] of BAD_FRAMES) {
    it(`${title}: the head closes that connection with the reason logged, and lives`, async () => {
      const r = await rawPeer(cluster.headInfo().address, cluster.token(), frames);
      assert.ok(alive(head.pid), 'the head is alive');
      assert.equal(r.closed?.code, 1008, JSON.stringify(r.closed));
      const line = logOf(head).split('\n').find((l) => reason.test(l)) ?? '';
      assert.match(line, /closing connection \d+ \([^)]*\): /, 'the head logs why it closed the connection');
      assert.ok(r.closed.reason.length > 0 && line.includes(r.closed.reason), `the peer is told the logged reason: ${r.closed.reason}`);
    });
  }

  for (const [title, request, reason] of REFUSED_JOBS) {
    it(`a job.submit with ${title} is refused with the reason; the connection stays and no job is made`, async () => {
      const r = await rawPeer(cluster.headInfo().address, cluster.token(), [[hello('cli', `c-${title.length}`), submitJob(request)]], {
        done: (got) => got.some((m) => m.type === 'job.refused' || m.type === 'job.accepted'),
      });
      assert.equal(r.closed, undefined, `the head closed the connection: ${JSON.stringify(r.closed)}`);
      const answer = r.received.find((m) => m.type === 'job.refused' || m.type === 'job.accepted');
      assert.equal(answer?.type, 'job.refused', JSON.stringify(answer));
      assert.match(String(answer.message), reason);
      assert.deepEqual((await cluster.status()).jobs.filter((j) => j.name === 'refused.mjs'), [], 'no job was made');
      assert.ok(alive(head.pid));
    });
  }

  it('a task that sends its agent a malformed message is killed and fails as crashed; neither agent dies (on a worker, and inside the head)', async () => {
    const dir = cluster.writeJob({
      'job.ts': `
import { get, main, remote } from 'raylaunch';
// The frame of the report: a put without its value, straight onto the worker process's IPC channel.
export const rogue = remote(function rogue() { process.send?.([{ type: 'put', id: 'x', jobId: 'y' }]); return new Promise(() => undefined); });
main(async () => {
  for (const where of ['on_worker', 'on_head']) {
    try {
      await get(rogue.options({ resources: { [where]: 1 }, maxRetries: 0 }).remote());
      console.log(where + ': returned');
    } catch (e) {
      console.log(where + ': ' + (e as Error).name + ': ' + (e as Error).message);
    }
  }
});
`,
    });
    const r = await cluster.submit(join(dir, 'job.ts'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    for (const where of ['on_worker', 'on_head']) {
      assert.match(r.stdout, new RegExp(`^${where}: WorkerCrashedError: task rogue failed 1 time: its worker process was killed by its agent: it sent a malformed put message \\(/\\w+: expected required property\\)`, 'm'));
    }
    assert.ok(alive(head.pid) && alive(worker.pid), 'the head and the worker\'s agent are alive');
    assert.deepEqual(records().map((n) => n.pid).sort(), [head.pid, worker.pid].sort(), 'no node was replaced');
    assert.match(logOf(worker), /killing worker process \d+ \(.*\): it sent a malformed put message \(\/\w+: expected required property\)/);
    assert.match(logOf(head), /agent: killing worker process \d+ \(.*\): it sent a malformed put message \(\/\w+: expected required property\)/);
  });

  it('a working directory holding a file named ..notes reaches the driver and its tasks', async () => {
    const workingDir = cluster.writeJob({ '..notes': 'kept\n', 'a..b': 'also\n' });
    const dir = cluster.writeJob({
      'job.ts': `
import { readFileSync } from 'node:fs';
import { get, main, remote } from 'raylaunch';
export const read = remote(function read(file: string) { return readFileSync(file, 'utf8').trim(); });
main(async () => {
  console.log('driver: ' + readFileSync('..notes', 'utf8').trim());
  console.log('task: ' + (await get(read.options({ resources: { on_worker: 1 } }).remote('..notes'))) + ' ' + (await get(read.remote('a..b'))));
});
`,
    });
    const r = await cluster.submit(join(dir, 'job.ts'), ['--working-dir', workingDir]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^driver: kept$/m);
    assert.match(r.stdout, /^task: kept also$/m);
  });

  it('after all of that, the same head and agents still run a job', async () => {
    const dir = cluster.writeJob({
      'job.ts': `
import { get, main, remote } from 'raylaunch';
export const add = remote(function add(a: number, b: number) { return a + b; });
export const Counter = remote(class Counter { n = 0; incr() { return ++this.n; } });
main(async () => {
  const c = Counter.remote();
  await get(c.incr.remote());
  console.log('sum ' + (await get(add.remote(1, 2))) + ' count ' + (await get(c.incr.remote())));
});
`,
    });
    const r = await cluster.submit(join(dir, 'job.ts'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^sum 3 count 2$/m);
    assert.deepEqual(records().map((n) => n.pid).sort(), [head.pid, worker.pid].sort(), 'the same processes');
  });
});
