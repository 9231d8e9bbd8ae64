import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { spawn } from 'node:child_process';
import { WebSocket } from 'ws';
import { REPO } from '../../helpers/run-cli.js';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../../src/protocol/messages.js';
import { TestCluster } from '../../helpers/cluster.js';
import { JOB_WAIT_FOR } from '../../helpers/job-wait.js';
import { until } from '../../helpers/until.js';

const JOBS: Record<string, { files: Record<string, string>; args?: string[]; code: number; stdout?: RegExp[]; stderr?: RegExp[] }> = {
  'tasks, chained refs, nested tasks, put and wait': {
    code: 0,
    stdout: [/^all good$/m],
    files: {
      'job.ts': `
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { get, main, put, remote, wait, ObjectRef } from 'raylaunch';
${JOB_WAIT_FOR}
export const add = remote(function add(a: number, b: number) { return a + b; });
// Not ready until the driver writes the release file: what wait() sees does not depend on how fast anything runs.
export const held = remote(async function held(release: string, v: string) { await waitFor('the release file', () => existsSync(release)); return v; });
export const fanout = remote(async function fanout(n: number) {
  return (await get(Array.from({ length: n }, (_, i) => add.remote(i, 1)))).reduce((a, b) => a + b, 0);
});
export const deeper = remote(async function deeper(depth: number): Promise<number> {
  return depth === 0 ? 1 : 1 + (await get(deeper.remote(depth - 1)));
});
export const refInside = remote(async function refInside(box: { ref: ObjectRef<number> }) { return (await get(box.ref)) * 2; });
export const returnsRef = remote(function returnsRef() { return put('made in a task'); });
main(async () => {
  assert.equal(await get(add.remote(1, 2)), 3);
  const [x, y] = await get([add.remote(1, 1), add.remote(add.remote(1, 2), 10)]);
  assert.deepEqual([x, y], [2, 13]);
  assert.equal(await get(fanout.remote(20)), 210);
  assert.equal(await get(deeper.remote(6)), 7, 'nested tasks deeper than the CPUs');
  const p = put(21);
  assert.equal(await get(refInside.remote({ ref: p })), 42, 'a nested ref arrives as a ref');
  const inner = await get(returnsRef.remote());
  assert.ok(inner instanceof ObjectRef);
  assert.equal(await get(inner), 'made in a task');
  const release = process.cwd() + '/release';
  const refs = [held.remote(release, 'late'), add.remote(1, 0)];
  const [ready, pending] = await wait(refs, { numReturns: 1, timeoutMs: 30000 });
  assert.deepEqual([ready.length, pending.length], [1, 1]);
  assert.equal(ready[0], refs[1]);
  const [none, all] = await wait([held.remote(release, 'x')], { numReturns: 1, timeoutMs: 50 });
  assert.deepEqual([none.length, all.length], [0, 1]);
  writeFileSync(release, '');
  assert.deepEqual(await get([refs[0]!, all[0]!]), ['late', 'x']);
  const big = new Float64Array(200_000).map((_, i) => i);
  const bigRef = put(big);
  assert.equal((await get(bigRef))[199_999], 199_999);
  assert.equal(await get(add.remote(big.length, 1)), 200_001);
  console.log('all good');
});
`,
    },
  },
  'structured-clone values survive; functions raise SerializationError': {
    code: 0,
    stdout: [/^values ok$/m],
    files: {
      'job.ts': `
import assert from 'node:assert/strict';
import { get, main, remote, SerializationError } from 'raylaunch';
class Point { constructor(public x: number, public y: number) {} norm() { return Math.hypot(this.x, this.y); } }
export const echo = remote(function echo<T>(v: T) { return v; });
export const describe = remote(function describe(v: unknown) {
  const m = v as { map: Map<string, number>; set: Set<number>; date: Date; big: bigint; bytes: Uint8Array; buf: Buffer };
  return [m.map instanceof Map, m.set instanceof Set, m.date instanceof Date, typeof m.big, m.bytes instanceof Uint8Array].join(',');
});
main(async () => {
  const value = { map: new Map([['a', 1]]), set: new Set([1, 2]), date: new Date(0), big: 2n ** 70n, bytes: new Uint8Array([1, 2, 3]), nested: { deep: [1, { x: 'y' }] } };
  const back = await get(echo.remote(value));
  assert.deepEqual(back, value);
  assert.equal(await get(describe.remote(value)), 'true,true,true,bigint,true');
  const p = await get(echo.remote(new Point(3, 4)));
  assert.deepEqual({ ...p }, { x: 3, y: 4 });
  assert.equal((p as unknown as { norm?: unknown }).norm, undefined, 'class instances arrive as plain objects');
  assert.throws(() => echo.remote({ config: { callback: () => 1 } }), (e: Error) => e instanceof SerializationError && /argument 1 of echo\\(\\)\\.config\\.callback is a function/.test(e.message));
  console.log('values ok');
});
`,
    },
  },
  'a task error reaches get() with the remote stack; an uncaught one fails the job': {
    code: 1,
    stdout: [/^caught TaskError RangeError too big 7 true$/m],
    stderr: [/RangeError: too big 7/, /job\.ts:5:\d+/, /raised in task check on node/],
    files: {
      'job.ts': `
import { get, main, remote, TaskError } from 'raylaunch';
export const check = remote(function check(n: number) {
  if (n > 5) {
    throw new RangeError('too big ' + n);
  }
  return n;
});
main(async () => {
  try {
    await get(check.remote(7));
  } catch (e) {
    if (e instanceof TaskError) console.log('caught', e.name, e.remoteName, e.message, e.pid > 0);
  }
  await get(check.remote(7));
});
`,
    },
  },
  'a job outside the repository with a local import and an npm dependency that calls require()': {
    code: 0,
    args: ['--', 'alpha', 'beta'],
    stdout: [/^args: alpha,beta$/m, /^greeting: hello, world \(via legacy-dep on .+\)$/m],
    files: {
      'lib.ts': `import legacy from 'legacy-dep';\nexport function greet(who: string) { return 'hello, ' + who + ' (via ' + legacy.describe() + ')'; }\n`,
      'job.ts': `
import { get, main, remote } from 'raylaunch';
import { greet } from './lib.js';
export const hello = remote(function hello(who: string) { return greet(who); });
main(async (args) => {
  console.log('args: ' + args.join(','));
  console.log('greeting: ' + (await get(hello.remote('world'))));
});
`,
    },
  },
  'console.log in tasks streams to the driver, prefixed with the task and node': {
    code: 0,
    stdout: [/^\(chatty node=\S+ pid=\d+\) hello from a task 1$/m, /^done$/m],
    files: {
      'job.ts': `
import { get, main, remote } from 'raylaunch';
export const chatty = remote(function chatty(n: number) { console.log('hello from a task', n); return n; });
// No pause after get(): a task's output reaches the driver before its result.
main(async () => { await get(chatty.remote(1)); console.log('done'); });
`,
    },
  },
  'a crashed worker process fails only its task, which is retried, then WorkerCrashedError': {
    code: 0,
    stdout: [/^retried: survived$/m, /^gave up: WorkerCrashedError$/m],
    files: {
      'job.ts': `
import { existsSync, writeFileSync } from 'node:fs';
import { get, main, remote, WorkerCrashedError } from 'raylaunch';
export const flaky = remote(function flaky(marker: string) {
  if (!existsSync(marker)) { writeFileSync(marker, 'x'); process.exit(3); }
  return 'survived';
});
export const doomed = remote(function doomed() { process.exit(4); });
main(async () => {
  console.log('retried: ' + (await get(flaky.remote(process.cwd() + '/marker'))));
  try { await get(doomed.options({ maxRetries: 1 }).remote()); } catch (e) { console.log('gave up: ' + (e instanceof WorkerCrashedError ? e.name : String(e))); }
});
`,
    },
  },
  'work no node type can run is reported to the driver as infeasible': {
    code: 0,
    stderr: [/warning: task needsGpu needs \{CPU: 1, GPU: 1\}, which no node type of this cluster offers/],
    stdout: [/^still pending$/m],
    files: {
      'job.ts': `
import { main, remote, wait } from 'raylaunch';
${JOB_WAIT_FOR}
export const needsGpu = remote(function needsGpu() { return 1; });
main(async () => {
  // The warning reaches stderr when the head's message arrives: the job ends only once it has.
  let warned = false;
  const write = process.stderr.write.bind(process.stderr) as (chunk: string | Uint8Array) => boolean;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    if (String(chunk).includes('which no node type of this cluster offers')) warned = true;
    return write(chunk);
  }) as typeof process.stderr.write;
  const ref = needsGpu.options({ numGpus: 1 }).remote();
  await waitFor('the warning that no node type can run it', () => warned);
  const [ready] = await wait([ref], { timeoutMs: 500 });
  if (ready.length === 0) console.log('still pending');
});
`,
    },
  },
  'calling .remote() outside main() says where driver code belongs': {
    code: 1,
    stderr: [/driver code belongs inside main\(\)/],
    files: {
      'job.ts': `
import { main, remote } from 'raylaunch';
export const f = remote(function f() { return 1; });
f.remote();
main(async () => {});
`,
    },
  },
  'the API reports context, nodes and resources': {
    code: 0,
    stdout: [/^nodes 3 alive; total CPU 5; task ran on a node: true; job matches: true$/m],
    files: {
      'job.ts': `
import { availableResources, clusterResources, get, getRuntimeContext, main, nodes, remote } from 'raylaunch';
export const ctx = remote(function ctx() { return getRuntimeContext(); });
main(async () => {
  const mine = getRuntimeContext();
  const theirs = await get(ctx.remote());
  const list = await nodes();
  const total = await clusterResources();
  const free = await availableResources();
  if ((free.CPU ?? 0) > (total.CPU ?? 0)) throw new Error('more free than total');
  console.log('nodes ' + list.filter((n) => n.alive).length + ' alive; total CPU ' + total.CPU + '; task ran on a node: '
    + list.some((n) => n.nodeId === theirs.nodeId) + '; job matches: ' + (theirs.jobId === mine.jobId && typeof theirs.taskId === 'string'));
});
`,
    },
  },
};

describe('the runtime on the process provider (end to end)', function () {
  this.timeout(120_000);
  const cluster = new TestCluster(`e2e${process.pid}`, TestCluster.processConfig(`e2e${process.pid}`));

  before(async () => { await cluster.start(); });
  after(async () => {
    const down = await cluster.cli(['down', '-c', cluster.name]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(existsSync(join(cluster.home, 'clusters', cluster.name, 'logs-last-run')), 'the last run\'s logs are kept');
    assert.deepEqual(cluster.processes(), [], 'down leaves no process of the cluster');
    await cluster.stop();
  });

  for (const [name, job] of Object.entries(JOBS)) {
    it(name, async () => {
      const dir = cluster.writeJob(job.files);
      if (job.files['lib.ts']) {
        // A CommonJS npm package that calls require(): the bundle's banner must provide it.
        mkdirSync(join(dir, 'node_modules', 'legacy-dep'), { recursive: true });
        writeFileSync(join(dir, 'node_modules', 'legacy-dep', 'package.json'), JSON.stringify({ name: 'legacy-dep', main: 'index.js' }));
        writeFileSync(join(dir, 'node_modules', 'legacy-dep', 'index.js'), "const os = require('node:os');\nmodule.exports = { describe: () => 'legacy-dep on ' + os.platform() };\n");
      }
      const r = await cluster.submit(join(dir, 'job.ts'), job.args ?? []);
      assert.equal(r.code, job.code, `exit code\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      for (const re of job.stdout ?? []) assert.match(r.stdout, re);
      for (const re of job.stderr ?? []) assert.match(r.stderr, re);
    });
  }

  const refused: [string, Record<string, string>, number, RegExp][] = [
    ['a connection without a token is refused with 401', { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) }, 401, /cluster token is required/],
    ['a connection with a wrong token is refused with 401', { authorization: 'Bearer not-the-token', [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) }, 401, /cluster token is required/],
    ['a peer of another protocol version is told which side to upgrade', { authorization: 'TOKEN', [PROTOCOL_HEADER]: String(PROTOCOL_VERSION + 1) }, 426, /upgrade the cluster/],
  ];
  for (const [name, headers, status, body] of refused) {
    it(name, async () => {
      const h = { ...headers };
      if (h.authorization === 'TOKEN') h.authorization = `Bearer ${cluster.token()}`;
      const ws = new WebSocket(`ws://${cluster.headInfo().address}`, { headers: h });
      const result = await new Promise<{ status: number; body: string; opened: boolean }>((resolve) => {
        ws.once('open', () => { ws.close(); resolve({ status: 101, body: '', opened: true }); });
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (d: Buffer) => { text += d.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, opened: false }));
        });
        ws.once('error', () => undefined);
      });
      assert.equal(result.opened, false);
      assert.equal(result.status, status);
      assert.match(result.body, body);
    });
  }

  it('SIGTERM to submit stops the job and exits 130', async () => {
    const dir = cluster.writeJob({ 'job.ts': "import { main } from 'raylaunch';\nmain(async () => { console.log('started'); await new Promise((r) => setTimeout(r, 600_000)); });\n" });
    const child = spawn(process.execPath, [join(REPO, 'bin/run.js'), 'submit', '-c', cluster.name, join(dir, 'job.ts')], {
      env: { ...process.env, RAYLAUNCH_HOME: cluster.home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until('the job to print that it started', 30_000, () => (out.includes('started') ? true : undefined));
    child.kill('SIGTERM');
    assert.equal(await exited, 130);
    await until('status to show the job STOPPED', 30_000, async () => {
      const { jobs } = JSON.parse((await cluster.cli(['status', '-c', cluster.name, '--json'])).stdout) as StatusJson;
      if (jobs.some((j) => j.status === 'STOPPED')) return true;
      throw new Error(JSON.stringify(jobs));
    });
  });

  it('status shows the nodes and the finished jobs', async () => {
    const r = await cluster.cli(['status', cluster.configFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /head-\w+\s+head\s+head\s+ALIVE\s+CPU \d+\/1/);
    assert.equal((r.stdout.match(/worker-\w+\s+worker\s+worker\s+ALIVE/g) ?? []).length, 2);
    assert.match(r.stdout, /job-\w+\s+SUCCEEDED\s+0\s+job\.ts/);
  });
});
