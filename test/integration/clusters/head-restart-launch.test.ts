// Issue 16's "Done when": the head service killed with SIGKILL while an autoscaler launch is in flight, on the
// process provider, with each GCS store. The launch's instances are in the store before the provider is asked,
// and the provider's node carries the request id: the restarted head adopts that node, it never launches the
// request again, and it terminates nothing.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { killHead, processClusterOn, STORES } from '../../helpers/head-restart.js';
import { until } from '../../helpers/until.js';

interface ProviderRecord { id: string; kind: 'head' | 'worker'; pid: number; requestId: string }

const workerRecords = (nodesDir: string): ProviderRecord[] => readdirSync(nodesDir).filter((f) => /^worker-.*\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(nodesDir, f), 'utf8')) as ProviderRecord);

/** Whether a record names its node's process (a record written before the process says "starting" and has no pid). */
function hasPid(file: string): boolean {
  try {
    return typeof (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid === 'number';
  } catch {
    return false; // gone meanwhile
  }
}

/** Resolves on the first worker record with a pid the provider writes into `dir` (watched, not polled: the launch is young). */
function firstWorkerRecord(dir: string, timeoutMs: number): { found: Promise<string>; stop(): void } {
  let stop = (): void => undefined;
  const found = new Promise<string>((resolve, reject) => {
    // Records are written to a temporary name and renamed: the .json name appears whole.
    const watcher = watch(dir, (_event, file) => {
      if (file !== null && /^worker-.*\.json$/.test(file) && hasPid(join(dir, file))) {
        stop();
        resolve(file);
      }
    });
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no worker record in ${dir} within ${timeoutMs} ms`));
    }, timeoutMs);
    stop = () => {
      clearTimeout(timer);
      watcher.close();
    };
  });
  return { found, stop: () => stop() };
}

for (const store of STORES) {
  describe(`a head killed while an autoscaler launch is in flight (process provider, GCS store: ${store.name})`, function () {
    this.timeout(240_000);
    const name = `restart-launch-${store.id}`;
    // No worker at first: the job's requestResources makes the autoscaler launch one.
    const cluster = processClusterOn(store, name, { headCpus: 0, workers: 0, workerCpus: 2 });

    it('adopts the node of the launch: one node for its request id, not launched again, nothing terminated', async () => {
      const c = cluster();
      const nodesDir = join(c.home, 'clusters', name, 'nodes');
      mkdirSync(nodesDir, { recursive: true });
      assert.deepEqual(workerRecords(nodesDir), []);
      const record = firstWorkerRecord(nodesDir, 90_000);
      try {
        const r = await c.submitFixture('autoscaler/request-two-cpus.ts', ['--no-wait']);
        assert.equal(r.code, 0, r.stderr);
        await record.found;
      } finally {
        record.stop();
      }
      const killedAt = Date.now();
      await killHead(c);
      const [launched, ...more] = workerRecords(nodesDir);
      assert.ok(launched);
      assert.deepEqual(more, []);

      // Adopted: the node registers with the restarted head, and the autoscaler has it in its view.
      const s = await until('the launched node to be alive and known to the restarted autoscaler', 90_000, async () => {
        const x = await c.status().catch(() => undefined);
        const alive = x?.nodes.some((n) => n.node_id === launched.id && n.state === 'ALIVE');
        const seen = x?.autoscaler?.nodes.some((n) => n.node_id === launched.id);
        return alive && seen && x?.autoscaler?.launching.length === 0 ? x : undefined;
      });
      assert.deepEqual(s.autoscaler?.pending, [], 'the request is met');
      assert.deepEqual(workerRecords(nodesDir).filter((n) => n.requestId === launched.requestId), [launched], 'one node for the request id, the one launched before the kill');
      assert.deepEqual(workerRecords(nodesDir), [launched], 'no other node launched');
      assert.deepEqual((s.autoscaler?.events ?? []).filter((e) => (e.kind === 'launch' || e.kind === 'terminate') && e.at >= killedAt), []);
    });
  });
}
