// Placement-group work gives back what it held: killing an actor frees what it held, in a bundle or not; removing a
// group kills the actors and tasks in it and frees its resources (Ray's semantics). On a head of 1 CPU and two
// workers of 2 CPUs, each job below once left CPUs used with nothing running, and the workers "busy" forever.
// Beyond what each job checks itself, the harness checks after every job that the cluster settled (settled.ts).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';

/** Polls availableResources() (bounded) until every CPU is back; prints what it saw. */
const FREED = `
async function freed(label: string) {
  const total = (await clusterResources()).CPU;
  let free: number | undefined;
  for (let i = 0; i < 200 && free !== total; i++) {
    free = (await availableResources()).CPU;
    if (free !== total) await new Promise((r) => setTimeout(r, 100));
  }
  console.log(label + ': ' + free + '/' + total + ' CPU free');
}`;

const HEADER = `
import { ActorDiedError, availableResources, clusterResources, get, kill, main, placementGroup, remote, removePlacementGroup, TaskCancelledError } from 'raylaunch';
export const Worker = remote(class Worker { ping() { return 'pong'; } });
export const hold = remote(async function hold(file: string) {
  (await import('node:fs')).writeFileSync(file, 'started');
  await new Promise((r) => setTimeout(r, 120_000));
  return 'finished';
});
${FREED}
async function groupWithActors() {
  const pg = placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_SPREAD' });
  await pg.ready({ timeoutMs: 60_000 });
  const actors = [0, 1].map((i) => Worker.options({ numCpus: 1, placementGroup: pg, bundleIndex: i }).remote());
  console.log('calls: ' + (await get(actors.map((a) => a.ping.remote()))).join(','));
  return { pg, actors };
}
`;

const JOBS: Record<string, { job: string; stdout: RegExp[] }> = {
  'killing the actors of a group, then removing it, frees every CPU': {
    stdout: [/^calls: pong,pong$/m, /^after kill and remove: 5\/5 CPU free$/m],
    job: `${HEADER}
main(async () => {
  const { pg, actors } = await groupWithActors();
  for (const a of actors) await kill(a);
  await removePlacementGroup(pg);
  await freed('after kill and remove');
});
`,
  },
  'removing a group kills the actors in it and frees every CPU': {
    stdout: [/^calls: pong,pong$/m, /^after remove: ActorDiedError: actor Worker was killed: its placement group \S+ was removed$/m, /^freed: 5\/5 CPU free$/m],
    job: `${HEADER}
main(async () => {
  const { pg, actors } = await groupWithActors();
  await removePlacementGroup(pg);
  try { await get(actors[0]!.ping.remote(), { timeoutMs: 60_000 }); console.log('after remove: still alive'); }
  catch (e) { console.log('after remove: ' + (e instanceof ActorDiedError ? e.name + ': ' + e.message : String(e))); }
  await freed('freed');
});
`,
  },
  'removing a group cancels the tasks running and queued in it': {
    stdout: [/^running: TaskCancelledError: task hold was cancelled: its placement group \S+ was removed$/m, /^queued: TaskCancelledError/m, /^freed: 5\/5 CPU free$/m],
    job: `${HEADER}
main(async () => {
  const pg = placementGroup([{ CPU: 1 }], { strategy: 'PACK' });
  await pg.ready({ timeoutMs: 60_000 });
  const marker = process.cwd() + '/started';
  const running = hold.options({ placementGroup: pg, bundleIndex: 0 }).remote(marker);
  const queued = hold.options({ placementGroup: pg, bundleIndex: 0 }).remote(marker + '-2');
  const { existsSync } = await import('node:fs');
  for (let i = 0; i < 600 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
  await removePlacementGroup(pg);
  for (const [label, ref] of [['running', running], ['queued', queued]] as const) {
    try { await get(ref, { timeoutMs: 60_000 }); console.log(label + ': finished'); }
    catch (e) { console.log(label + ': ' + (e instanceof TaskCancelledError ? e.name + ': ' + e.message : String(e))); }
  }
  await freed('freed');
});
`,
  },
  'a job that ends with its group and actors still there gives every CPU back': {
    stdout: [/^calls: pong,pong$/m],
    job: `${HEADER}
main(async () => { await groupWithActors(); });
`,
  },
};

describe('placement-group work gives back its resources (end to end)', function () {
  this.timeout(180_000);
  const name = `settle${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 1, workers: 2, workerCpus: 2 }));

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  for (const [title, job] of Object.entries(JOBS)) {
    it(title, async () => {
      const dir = cluster.writeJob({ 'job.ts': job.job });
      const r = await cluster.submit(join(dir, 'job.ts'));
      assert.equal(r.code, 0, `exit code\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      for (const re of job.stdout) assert.match(r.stdout, re);
    });
  }

  it('after all of them, no worker is kept busy and every CPU is free', async () => {
    const s = await cluster.status();
    assert.deepEqual(s.nodes.filter((n) => n.state === 'ALIVE').map((n) => n.available.CPU === n.total.CPU), [true, true, true]);
    assert.deepEqual(s.autoscaler?.nodes.filter((n) => n.why.startsWith('busy')), []);
  });
});
