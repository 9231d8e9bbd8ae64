// Work the head had queued and not yet handed to a node survives a kill -9 of the head service (process provider,
// the default sqlite store): tasks queued behind a full cluster (maxRetries 0: none may run twice) and an actor's
// calls queued behind a long one, each waiting for one of those tasks' results. The restarted head runs them, each
// once and the calls in their order, and the driver gets every result: no ObjectLostError, no second run.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { committedKeys } from '../../helpers/gcs-file.js';
import { killHead, processClusterOn, STORES } from '../../helpers/head-restart.js';
import { read } from '../../helpers/head-restart-job.js';
import { until } from '../../helpers/until.js';

const sqlite = STORES.find((s) => s.id === 'sqlite');

describe('queued work across a kill -9 of the head service (process provider)', function () {
  this.timeout(300_000);
  const name = 'restart-queue';
  // One 2-CPU worker and no room to grow: two blockers fill it, two more tasks go ahead to its agent, the rest queue.
  assert.ok(sqlite);
  const cluster = processClusterOn(sqlite, name, { headCpus: 0, workers: 1, workerCpus: 2 });

  it('runs the tasks and actor calls the head had queued, each once and the calls in order, and the driver gets every result', async () => {
    const c = cluster();
    const state = join(c.home, 'clusters', name);
    const signals = mkdtempSync(join(c.dir, 'signals-'));
    const submit = c.cli(['submit', c.configFile, c.writeFixture('head-restart-queue/queue.ts'), '--', signals], 240_000);
    const jobId = await until('the job\'s folder', 60_000, () => (existsSync(join(state, 'jobs')) ? readdirSync(join(state, 'jobs')).find((d) => d.startsWith('job-')) : undefined));
    await until('the driver to have its work queued at the head', 120_000, () => (existsSync(join(signals, 'queued')) ? true : undefined));
    const queued = await until('the head\'s store to hold its queue', 60_000, async () => {
      const keys = await committedKeys(state, 'queued');
      const tasks = keys?.filter((k) => k.startsWith('t:')).length ?? 0;
      const calls = keys?.filter((k) => k.startsWith('c:')).length ?? 0;
      return tasks >= 4 && calls === 6 ? keys : undefined;
    });
    assert.ok(queued.length >= 10);

    await killHead(c);
    await until('the driver to reconnect', 90_000, () => (/raylaunch: reconnected to the head/.test(read(join(state, 'jobs', jobId, 'stderr.log'))) ? true : undefined));
    writeFileSync(join(signals, 'release'), '');

    const r = await submit;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^answer squares 1,4,9,16,25,36 counts 2,3,4,5,6,7,8$/m, 'every result, the actor\'s state kept');
    assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /ObjectLostError/);
    for (const x of [1, 2, 3, 4, 5, 6]) assert.equal(read(join(signals, `ran-${x}`)), 'ran\n', `square ${x} ran once`);
    assert.equal(read(join(signals, 'calls')), ['-1', '0', '1', '4', '9', '16', '25', '36', ''].join('\n'), 'each call ran once, in order');
  });
});
