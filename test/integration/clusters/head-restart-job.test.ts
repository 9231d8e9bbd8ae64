// Issue 16's "Done when", on the process provider: a head service killed with SIGKILL mid-job — tasks in flight
// on the workers, an actor holding state, a detached named actor, a placement group, a job streaming output —
// and the job finishes as if nothing happened: the right answer and exit 0, the actor's state intact, the
// detached actor found by its name, the group's reservation kept, `status` listing the same nodes, no node
// launched or terminated, and the output `submit` followed with no gap and no repeat. The same scenario runs with
// each persistent GCS store: it is the store that carries the head's state across the restart.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { killHead, processClusterOn, STORES } from '../../helpers/head-restart.js';
import { assertWholeJobRecovered, startWholeJob } from '../../helpers/head-restart-job.js';

for (const store of STORES) {
  describe(`a job across a kill -9 of the head service (process provider, GCS store: ${store.name})`, function () {
    this.timeout(300_000);
    const name = `restart-job-${store.id}`;
    // No CPU on the head: every task and the group's bundle run on the two workers.
    const cluster = processClusterOn(store, name, { headCpus: 0, workers: 2, workerCpus: 2 });

    it('finishes with the right answer and exit 0, keeps its actors, group and nodes, launches or terminates nothing, and its output has no gap and no repeat', async () => {
      const c = cluster();
      const state = join(c.home, 'clusters', name);
      const signals = mkdtempSync(join(c.dir, 'signals-'));
      const scene = { c, state, signals };
      const job = await startWholeJob(scene);
      const workers = c.nodeRecords().filter((n) => n.kind === 'worker').map((n) => n.id);
      assert.equal(workers.length, 2);
      for (const node of job.started()) assert.ok(workers.includes(node), `a task runs on ${node}, a worker`);
      const records = c.nodeRecords().map((n) => `${n.id} ${n.pid}`).sort();
      const killedAt = Date.now();

      await killHead(c);
      await assertWholeJobRecovered(scene, job, killedAt);
      assert.deepEqual(c.nodeRecords().map((n) => `${n.id} ${n.pid}`).sort(), records, 'the provider launched and terminated no node');
      assert.equal(existsSync(join(state, 'gcs.sqlite')), store.sqliteFile, `the head kept its state in ${store.name}`);
    });
  });
}
