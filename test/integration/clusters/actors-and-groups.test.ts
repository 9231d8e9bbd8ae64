import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { TestCluster } from '../../helpers/cluster.js';
import { JOB_WAIT_FOR } from '../../helpers/job-wait.js';
import { until } from '../../helpers/until.js';

/** Each job asserts inside and prints its verdict; the test checks exit code and output. */
const JOBS: Record<string, { job: string; stdout: RegExp[] }> = {
  'calls from one caller run in submission order, even when an earlier call\'s argument is ready later': {
    stdout: [/^order: 1,2,3,4,5$/m],
    job: `
import { get, main, remote } from 'raylaunch';
export const later = remote(async function later(v: number, ms: number) { await new Promise((r) => setTimeout(r, ms)); return v; });
export const Log = remote(class Log {
  seen: number[] = [];
  add(v: number) { this.seen.push(v); return this.seen.length; }
  all() { return this.seen; }
});
main(async () => {
  const log = Log.remote();
  log.add.remote(later.remote(1, 800));
  log.add.remote(2);
  log.add.remote(later.remote(3, 300));
  log.add.remote(4);
  log.add.remote(5);
  console.log('order: ' + (await get(log.all.remote())).join(','));
});
`,
  },
  'an async method finishes before the next starts; maxConcurrency > 1 lets calls overlap': {
    stdout: [/^serial: max in flight 1$/m, /^concurrent: max in flight 3$/m],
    job: `
import { get, main, remote } from 'raylaunch';
${JOB_WAIT_FOR}
export const Gate = remote(class Gate {
  now = 0; max = 0;
  async work(ms: number) { this.now++; this.max = Math.max(this.max, this.now); await new Promise((r) => setTimeout(r, ms)); this.now--; return this.max; }
  // Each call stays in flight until n calls have been in flight at once: only calls that overlap get past it.
  async meet(n: number) { this.now++; this.max = Math.max(this.max, this.now); await waitFor(n + ' calls in flight', () => this.max >= n); this.now--; return this.max; }
  peak() { return this.max; }
});
main(async () => {
  const serial = Gate.remote();
  await get([1, 2, 3].map(() => serial.work.remote(100)));
  console.log('serial: max in flight ' + (await get(serial.peak.remote())));
  const wide = Gate.options({ maxConcurrency: 3 }).remote();
  await get([1, 2, 3].map(() => wide.meet.remote(3)));
  console.log('concurrent: max in flight ' + (await get(wide.peak.remote())));
});
`,
  },
  'named actors: lookup by name, ActorNameTakenError on a clash, ActorNotFoundError on a miss': {
    stdout: [/^shared: 15$/m, /^clash: ActorNameTakenError$/m, /^missing: ActorNotFoundError$/m, /^other namespace: ActorNotFoundError 7$/m],
    job: `
import { ActorNameTakenError, ActorNotFoundError, get, getActor, main, remote } from 'raylaunch';
export const Counter = remote(class Counter {
  n: number; constructor(start = 0) { this.n = start; }
  incr(by = 1) { return (this.n += by); }
});
main(async () => {
  Counter.options({ name: 'shared' }).remote(10);
  const same = await getActor<typeof Counter>('shared');
  console.log('shared: ' + (await get(same.incr.remote(5))));
  const dup = Counter.options({ name: 'shared' }).remote(0);
  try { await get(dup.incr.remote()); } catch (e) { console.log('clash: ' + (e instanceof ActorNameTakenError ? e.name : String(e))); }
  try { await getActor('nobody'); } catch (e) { console.log('missing: ' + (e instanceof ActorNotFoundError ? e.name : String(e))); }
  const elsewhere = Counter.options({ name: 'shared', namespace: 'team-b' }).remote(6);
  let missName = '';
  try { await getActor('shared', { namespace: 'team-c' }); } catch (e) { missName = (e as Error).name; }
  console.log('other namespace: ' + missName + ' ' + (await get((await getActor<typeof Counter>('shared', { namespace: 'team-b' })).incr.remote())));
  void elsewhere;
});
`,
  },
  'handles can be passed to tasks and to other actors, and used there': {
    stdout: [/^total: 6$/m, /^via actor: 10$/m],
    job: `
import { get, main, remote, type ActorHandle } from 'raylaunch';
export const Counter = remote(class Counter {
  n = 0;
  incr(by: number) { return (this.n += by); }
  value() { return this.n; }
});
export const bump = remote(async function bump(c: ActorHandle<typeof Counter>, by: number) { return get(c.incr.remote(by)); });
export const Relay = remote(class Relay {
  async forward(c: ActorHandle<typeof Counter>, by: number) { return get(c.incr.remote(by)); }
});
main(async () => {
  const c = Counter.remote();
  await get([bump.remote(c, 1), bump.remote(c, 2), bump.remote(c, 3)]);
  console.log('total: ' + (await get(c.value.remote())));
  const r = Relay.remote();
  console.log('via actor: ' + (await get(r.forward.remote(c, 4))));
});
`,
  },
  'cancel removes a queued task or (with force) stops a running one; kill ends an actor': {
    stdout: [/^queued: TaskCancelledError$/m, /^running: TaskCancelledError$/m, /^killed: ActorDiedError$/m, /^restarted: 1$/m],
    job: `
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { ActorDiedError, availableResources, cancel, clusterResources, get, kill, main, remote, TaskCancelledError } from 'raylaunch';
${JOB_WAIT_FOR}
// Says it runs (a marker file), then holds its CPU until the driver writes the release file.
export const blocker = remote(async function blocker(dir: string, i: number) {
  writeFileSync(dir + '/tmp-' + i, '');
  renameSync(dir + '/tmp-' + i, dir + '/started-' + i);
  await waitFor('the release file', () => existsSync(dir + '/release'));
  return 'released';
});
export const quick = remote(function quick() { return 'ran'; });
export const Box = remote(class Box { n = 0; incr() { return ++this.n; } });
const name = (e: unknown) => (e instanceof TaskCancelledError || e instanceof ActorDiedError ? (e as Error).name : String(e));
main(async () => {
  const dir = process.cwd();
  const cpus = (await clusterResources()).CPU ?? 0;
  await waitFor('the jobs before this one to give back their CPUs', async () => (await availableResources()).CPU === cpus);
  const blockers = Array.from({ length: cpus }, (_, i) => blocker.remote(dir, i));
  await waitFor('a blocker running on every CPU', () => readdirSync(dir).filter((f) => f.startsWith('started-')).length === cpus);
  const queued = quick.remote(); // no CPU will be free for it before the release
  await cancel(queued);
  try { console.log('queued: ' + (await get(queued))); } catch (e) { console.log('queued: ' + name(e)); }
  const running = blockers[0]!; // it has said it runs, and runs until the release
  await cancel(running, { force: true });
  try { console.log('running: ' + (await get(running, { timeoutMs: 30000 }))); } catch (e) { console.log('running: ' + name(e)); }
  writeFileSync(dir + '/release', '');
  await get(blockers.slice(1));
  const b = Box.remote();
  await get(b.incr.remote());
  await kill(b);
  try { await get(b.incr.remote()); } catch (e) { console.log('killed: ' + name(e)); }
  const again = Box.options({ maxRestarts: 1 }).remote();
  await get(again.incr.remote());
  await kill(again, { noRestart: false });
  console.log('restarted: ' + (await get(again.incr.remote())));
});
`,
  },
  'errors carry what they know as fields: the actor, the name and namespace, the task, its attempts, the object waited for': {
    stdout: [
      /^taken: shared in team-t, not created: true$/m, /^not found: nobody in team-t$/m, /^died: Box.incr of the killed actor: true$/m,
      /^cancelled: sleepy$/m, /^timed out: sleepy after 100 ms, its object: true$/m, /^crashed: doomed after 2 attempts, pid set: true$/m,
    ],
    job: `
import { ActorDiedError, ActorNameTakenError, ActorNotFoundError, cancel, get, getActor, getRuntimeContext, GetTimeoutError, kill, main, remote,
  TaskCancelledError, WorkerCrashedError } from 'raylaunch';
export const sleepy = remote(async function sleepy(ms: number) { await new Promise((r) => setTimeout(r, ms)); return 'woke'; });
export const doomed = remote(function doomed() { process.exit(4); });
export const Box = remote(class Box { n = 0; incr() { return ++this.n; } id() { return getRuntimeContext().actorId; } });
main(async () => {
  Box.options({ name: 'shared', namespace: 'team-t' }).remote();
  const dup = Box.options({ name: 'shared', namespace: 'team-t' }).remote();
  const first = await get((await getActor<typeof Box>('shared', { namespace: 'team-t' })).id.remote());
  try { await get(dup.incr.remote()); } catch (e) {
    if (e instanceof ActorNameTakenError) console.log('taken: ' + e.actorName + ' in ' + e.namespace + ', not created: ' + (e.actorId !== '' && e.actorId !== first));
  }
  try { await getActor('nobody', { namespace: 'team-t' }); } catch (e) {
    if (e instanceof ActorNotFoundError) console.log('not found: ' + e.actorName + ' in ' + e.namespace);
  }
  const b = Box.remote();
  const id = await get(b.id.remote());
  await kill(b);
  try { await get(b.incr.remote()); } catch (e) {
    if (e instanceof ActorDiedError) console.log('died: ' + e.taskName + ' of the killed actor: ' + (e.actorId === id));
  }
  const blockers = Array.from({ length: 8 }, () => sleepy.remote(1500)); // fill every CPU
  const queued = sleepy.remote(10);
  await cancel(queued);
  try { await get(queued); } catch (e) { if (e instanceof TaskCancelledError) console.log('cancelled: ' + e.taskName); }
  const slow = blockers[0]!;
  try { await get(slow, { timeoutMs: 100 }); } catch (e) {
    if (e instanceof GetTimeoutError) console.log('timed out: ' + e.taskName + ' after ' + e.timeoutMs + ' ms, its object: ' + (e.objectId === slow.id));
  }
  await get(blockers);
  try { await get(doomed.options({ maxRetries: 1 }).remote()); } catch (e) {
    if (e instanceof WorkerCrashedError) console.log('crashed: ' + e.taskName + ' after ' + e.attempts + ' attempts, pid set: ' + (e.pid > 0));
  }
});
`,
  },
  'each placement strategy puts its bundles where it says, and work runs inside them': {
    stdout: [/^PACK: 1 node$/m, /^STRICT_PACK: 1 node$/m, /^SPREAD: 2 nodes$/m, /^STRICT_SPREAD: 3 nodes$/m, /^in bundle: true$/m, /^infeasible: rejected$/m, /^freed: true$/m],
    job: `
import { availableResources, clusterResources, get, getRuntimeContext, main, placementGroup, remote, removePlacementGroup, type PlacementGroup } from 'raylaunch';
${JOB_WAIT_FOR}
export const where = remote(function where() { return getRuntimeContext().nodeId; });
async function nodesOf(pg: PlacementGroup, n: number) {
  return new Set(await get(Array.from({ length: n }, (_, i) => where.options({ placementGroup: pg, bundleIndex: i, numCpus: 0.5 }).remote())));
}
main(async () => {
  const before = (await clusterResources()).CPU;
  // Where a group goes depends on what is free: each step starts once every CPU is back.
  const idle = () => waitFor('every CPU to be free', async () => (await availableResources()).CPU === before);
  await idle();
  for (const [strategy, bundles] of [['PACK', 2], ['STRICT_PACK', 2], ['SPREAD', 2], ['STRICT_SPREAD', 3]] as const) {
    const pg = placementGroup(Array.from({ length: bundles }, () => ({ CPU: 1 })), { strategy });
    await pg.ready({ timeoutMs: 30000 });
    const size = (await nodesOf(pg, bundles)).size;
    console.log(strategy + ': ' + size + ' node' + (size === 1 ? '' : 's'));
    await removePlacementGroup(pg);
    await idle();
  }
  const pg = placementGroup([{ CPU: 2 }], { strategy: 'STRICT_PACK' });
  await pg.ready({ timeoutMs: 30000 });
  const reserved = (await availableResources()).CPU;
  const inside = await get(where.options({ placementGroup: pg, bundleIndex: 0, numCpus: 2 }).remote());
  console.log('in bundle: ' + (typeof inside === 'string' && reserved === (before ?? 0) - 2));
  await removePlacementGroup(pg);
  try { await placementGroup([{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_SPREAD' }).ready({ timeoutMs: 30000 }); console.log('infeasible: ready'); }
  catch (e) { console.log('infeasible: ' + (/can never fit/.test((e as Error).message) ? 'rejected' : (e as Error).message)); }
  await idle();
  console.log('freed: true');
});
`,
  },
};

describe('actors, cancel and placement groups on the process provider (end to end)', function () {
  this.timeout(120_000);
  const name = `act${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name));

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  it('a detached actor outlives its job; a job-scoped one dies with it', async () => {
    const first = cluster.writeJob({ 'job.ts': `
import { get, main, remote } from 'raylaunch';
export const Store = remote(class Store { v = ''; set(v: string) { this.v = v; return v; } read() { return this.v; } });
main(async () => {
  const keep = Store.options({ name: 'keeper', namespace: 'svc', lifetime: 'detached' }).remote();
  const temp = Store.options({ name: 'temp', namespace: 'svc' }).remote();
  await get([keep.set.remote('kept across jobs'), temp.set.remote('gone')]);
});
` });
    const second = cluster.writeJob({ 'job.ts': `
import { get, getActor, kill, main } from 'raylaunch';
main(async () => {
  const keep = await getActor('keeper', { namespace: 'svc' });
  console.log('detached: ' + (await get(keep.read.remote())));
  try { await getActor('temp', { namespace: 'svc' }); console.log('temp: found'); } catch (e) { console.log('temp: ' + (e as Error).name); }
  await kill(keep);
});
` });
    assert.equal((await cluster.submit(join(first, 'job.ts'))).code, 0);
    // The head stops a job's actors as the job ends; the lookup below is about a stopped one, so wait for that.
    await until('the job-scoped actor to be dead and the detached one alive', 30_000, async () => {
      const { actors } = JSON.parse((await cluster.cli(['status', '-c', cluster.name, '--json'])).stdout) as { actors: { name: string | null; state: string }[] };
      const state = (n: string) => actors.find((a) => a.name === n)?.state;
      return state('temp') === 'DEAD' && state('keeper') === 'ALIVE' ? true : undefined;
    });
    const r = await cluster.submit(join(second, 'job.ts'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^detached: kept across jobs$/m);
    assert.match(r.stdout, /^temp: ActorNotFoundError$/m);
  });

  it('status lists an actor that crashed among failures, but not one its job killed, ended with the job or removed with its group', async () => {
    const dir = cluster.writeJob({ 'job.ts': `
import { get, kill, main, placementGroup, remote, removePlacementGroup } from 'raylaunch';
export const KilledByItsJob = remote(class KilledByItsJob { ping() { return 'pong'; } });
export const InRemovedGroup = remote(class InRemovedGroup { ping() { return 'pong'; } });
export const EndsWithItsJob = remote(class EndsWithItsJob { ping() { return 'pong'; } });
export const Crashes = remote(class Crashes { ping() { return 'pong'; } crash() { process.exit(3); } });
main(async () => {
  const k = KilledByItsJob.remote();
  await get(k.ping.remote());
  await kill(k);
  const pg = placementGroup([{ CPU: 1 }]);
  await pg.ready({ timeoutMs: 20000 });
  const g = InRemovedGroup.options({ placementGroup: pg, bundleIndex: 0 }).remote();
  await get(g.ping.remote());
  await removePlacementGroup(pg);
  const e = EndsWithItsJob.remote();
  await get(e.ping.remote());
  const c = Crashes.remote();
  await get(c.ping.remote());
  try { await get(c.crash.remote()); } catch (err) { console.log('crash: ' + (err as Error).name); }
});
` });
    const r = await cluster.submit(join(dir, 'job.ts'));
    assert.equal(r.code, 0, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.match(r.stdout, /^crash: ActorDiedError$/m);
    const mine = ['KilledByItsJob', 'InRemovedGroup', 'EndsWithItsJob', 'Crashes'];
    // Every one of them has died (and so had its chance to be listed) before the failures are read.
    const s = await until('the job\'s four actors to be dead', 30_000, async () => {
      const x = await cluster.status();
      const dead = x.actors.filter((a) => mine.includes(a.cls) && a.state === 'DEAD').length;
      return dead === mine.length ? x : undefined;
    });
    const listed = s.failures.filter((f) => mine.includes(f.what));
    assert.deepEqual(listed.map((f) => f.what), ['Crashes'], JSON.stringify(listed));
    assert.match(listed[0]?.message ?? '', /exited with code 3/);
  });

  for (const [title, job] of Object.entries(JOBS)) {
    it(title, async () => {
      const dir = cluster.writeJob({ 'job.ts': job.job });
      const r = await cluster.submit(join(dir, 'job.ts'));
      assert.equal(r.code, 0, `exit code\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      for (const re of job.stdout) assert.match(r.stdout, re);
    });
  }
});

describe('node loss and node-to-node objects (end to end)', function () {
  this.timeout(120_000);
  const name = `node${process.pid}`;
  // The head offers no CPU, so every task and actor runs on the two workers.
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 0, workers: 2, workerCpus: 2 }));

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  it('a killed worker node: its running tasks are retried elsewhere and its actor restarts with fresh state', async () => {
    const dir = cluster.writeJob({
      'job.ts': `
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { get, getRuntimeContext, main, nodes, remote } from 'raylaunch';
${JOB_WAIT_FOR}
export const Counter = remote(class Counter {
  n = 0;
  incr() { return ++this.n; }
  node() { return getRuntimeContext().nodeId; }
  killMyNode() { process.kill(process.ppid, 'SIGKILL'); return 'unreachable'; }
}, { maxRestarts: 1 });
// Its first try leaves a marker naming its node, then every try holds its CPU until the driver's release file.
export const work = remote(async function work(dir: string, i: number) {
  const node = getRuntimeContext().nodeId;
  const marker = dir + '/started-' + i;
  const first = existsSync(marker) ? readFileSync(marker, 'utf8') : undefined;
  if (first === undefined) {
    writeFileSync(marker + '.tmp', node);
    renameSync(marker + '.tmp', marker);
  }
  await waitFor('the release file', () => existsSync(dir + '/release'));
  return first === undefined ? 'first try on ' + node : 'retried (first try on ' + first + ')';
});
main(async () => {
  const dir = process.cwd();
  const c = Counter.remote();
  for (let i = 0; i < 5; i++) await get(c.incr.remote());
  const doomed = await get(c.node.remote());
  const ids = [0, 1, 2, 3];
  const tasks = ids.map((i) => work.remote(dir, i));
  await waitFor('all four tasks to run', () => ids.every((i) => existsSync(dir + '/started-' + i)));
  const started = ids.filter((i) => readFileSync(dir + '/started-' + i, 'utf8') === doomed).length;
  c.killMyNode.remote();
  // Released only once the head knows the node is dead: its tasks cannot have finished there.
  await waitFor('the head to mark the killed node dead', async () => (await nodes()).some((n) => n.nodeId === doomed && !n.alive));
  writeFileSync(dir + '/release', '');
  const results = await get(tasks, { timeoutMs: 30000 });
  const retried = results.filter((r) => r.startsWith('retried (first try on ' + doomed + ')')).length;
  console.log('started on the node to kill: ' + started + '; retried from the dead node: ' + retried);
  console.log('actor after restart: ' + (await get(c.incr.remote(), { timeoutMs: 30000 })) + ' on a new node: ' + ((await get(c.node.remote())) !== doomed));
});
`,
    });
    const r = await cluster.submit(join(dir, 'job.ts'));
    assert.equal(r.code, 0, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.match(r.stdout, /^started on the node to kill: 2; retried from the dead node: 2$/m);
    assert.match(r.stdout, /^actor after restart: 1 on a new node: true$/m);
    const status = JSON.parse((await cluster.cli(['status', '-c', name, '--json'])).stdout) as StatusJson;
    assert.ok(status.failures.some((f) => /died/.test(f.message)), 'status shows the failure');
  });

  it('a 100 MB object moves between two workers directly; the head relays under 1 MB', async () => {
    const before = JSON.parse((await cluster.cli(['status', '-c', name, '--json'])).stdout) as StatusJson;
    const dir = cluster.writeJob({
      'job.ts': `
import { get, getRuntimeContext, main, placementGroup, remote } from 'raylaunch';
export const make = remote(function make() { return { node: getRuntimeContext().nodeId, data: new Float64Array(12_500_000).fill(1.5) }; });
export const use = remote(function use(x: { node: string; data: Float64Array }) {
  let sum = 0;
  for (let i = 0; i < x.data.length; i += 1000) sum += x.data[i]!;
  return { from: x.node, at: getRuntimeContext().nodeId, bytes: x.data.byteLength, sum };
});
main(async () => {
  const pg = placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_SPREAD' });
  await pg.ready({ timeoutMs: 30000 }); // on the survivor and the node that replaces the killed one
  const made = make.options({ placementGroup: pg, bundleIndex: 0 }).remote();
  const t0 = performance.now();
  const r = await get(use.options({ placementGroup: pg, bundleIndex: 1 }).remote(made));
  const ms = performance.now() - t0;
  console.log('moved ' + r.bytes + ' bytes between different nodes: ' + (r.from !== r.at) + '; checksum ' + r.sum);
  console.log('make+transfer+use: ' + ms.toFixed(0) + ' ms (' + (r.bytes / 1e6 / (ms / 1000)).toFixed(0) + ' MB/s upper bound)');
});
`,
    });
    const r = await cluster.submit(join(dir, 'job.ts'));
    assert.equal(r.code, 0, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.match(r.stdout, /^moved 100000000 bytes between different nodes: true; checksum 18750$/m);
    const after = JSON.parse((await cluster.cli(['status', '-c', name, '--json'])).stdout) as StatusJson;
    assert.ok(after.relayed_bytes - before.relayed_bytes < 1_000_000, `the head relayed ${after.relayed_bytes - before.relayed_bytes} bytes`);
    console.log(`      ${r.stdout.trim().split('\n').pop() ?? ''}`);
  });
});
