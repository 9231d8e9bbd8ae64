import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { credentialDigest } from '../../../src/common/credentials.js';
import { HeadCredentials, type JobCredentialRecord } from '../../../src/head/credential-store.js';
import { MemoryDatabase } from '../../../src/head/gcs/memory.js';
import { openStore } from '../../../src/head/gcs/open.js';
import { JobManager } from '../../../src/head/jobs/job-manager.js';
import { REPO } from '../../helpers/run-cli.js';

/** A memory database reopened is a head restarted on the same store. */
function place() {
  const memory = new MemoryDatabase();
  return () => openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
}

describe('job credentials outlive a head restart: their digests are in the GCS store', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rl-job-cred-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a restarted head admits the driver of a running job with the credential it was handed, and the store holds only its digest', async () => {
    const open = place();
    const store = await open();
    const minted = new HeadCredentials(dir, store).mintJob('job-1');
    await minted.saved;
    const kept = store.table<JobCredentialRecord>('job_credentials').get('job-1');
    assert.deepEqual(kept, { digest: credentialDigest(minted.secret) });
    assert.ok(!JSON.stringify(kept).includes(minted.secret.slice(4)), 'never the credential itself');
    await store.close();

    const again = new HeadCredentials(dir, await open());
    assert.deepEqual(again.table.lookup(`Bearer ${minted.secret}`), { kind: 'job', jobId: 'job-1' });
  });

  it('a job\'s end revokes its credential for this head and every later one', async () => {
    const open = place();
    const store = await open();
    const creds = new HeadCredentials(dir, store);
    const { secret, saved } = creds.mintJob('job-1');
    await saved;
    creds.revokeJob('job-1');
    assert.equal(creds.table.lookup(`Bearer ${secret}`), undefined);
    await store.close();
    assert.equal(new HeadCredentials(dir, await open()).table.lookup(`Bearer ${secret}`), undefined);
  });

  it('a submitted job is accepted only once its driver\'s credential is durable', async () => {
    const store = await place()();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const m = new JobManager({
      jobsDir: join(dir, 'jobs'), runtimeRoot: REPO, headAddress: '127.0.0.1:1', clock: { now: () => 5000 }, store, onEnded: () => undefined,
      credentials: { mint: () => ({ secret: 'rlj_test', saved: held }), revoke: () => undefined },
    });
    const jobId = m.submit({ name: 'job.mjs', bundle: new TextEncoder().encode('export {};\n'), args: [], env: {} });
    let accepted = false;
    const saved = m.saved(jobId).then(() => { accepted = true; });
    await store.flush(); // the job's record is durable: that alone is not enough
    await new Promise((r) => setImmediate(r));
    assert.equal(accepted, false, 'not accepted while the credential is not durable');
    release();
    await saved;
    assert.equal(accepted, true);
    // The driver ends (stopped, or failed at once without a real runtime) before its folder goes.
    const ended = new Promise<void>((resolve) => m.follow(jobId, { output: () => undefined, exit: () => resolve() }));
    m.stop(jobId);
    await ended;
  });
});
