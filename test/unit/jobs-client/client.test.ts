import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { pack } from '../../../src/common/pack.js';
import {
  HeadUnreachableError, JobNotFoundError, JobRequestError, type JobsApiError, JobsAuthError, JobSubmissionClient, type TailEvent,
} from '../../../src/jobs-client/index.js';
import { JobsHead, OPERATOR } from '../../helpers/jobs-head.js';

const TOKEN = OPERATOR.slice('Bearer '.length);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('JobSubmissionClient (raylaunch/jobs) against the head\'s routes', () => {
  const head = new JobsHead();
  let client: JobSubmissionClient;
  before(async () => {
    await head.start();
    client = new JobSubmissionClient({ address: head.address, token: TOKEN });
  });
  after(async () => {
    await client.close();
    await head.stop();
    head.cleanup();
  });

  it('submitJob uploads the bundle and working dir, then starts the job; a package the head has is not uploaded again', async () => {
    const bundle = Buffer.from('console.log(1);\n');
    const workingDir = pack([{ path: 'a.txt', mode: 0o644, data: Buffer.from('a') }]);
    const first = await client.submitJob({ job: bundle, args: ['x y', '--n', '1'], workingDir, envVars: { MODE: 'fast' }, metadata: { name: 'job.ts' } });
    const puts = () => head.requests.filter((r) => r.startsWith('PUT ')).length;
    assert.equal(puts(), 2);
    const second = await client.submitJob({ job: bundle, submissionId: 'again' });
    assert.equal(puts(), 2, 'the bundle is there already');
    assert.equal(second, 'again');
    const s = head.jobs.submitted.find((j) => j.jobId === undefined);
    assert.deepEqual([s?.args, s?.env, s?.name], [['x y', '--n', '1'], { MODE: 'fast' }, 'job.ts']);
    const info = await client.getJobInfo(first);
    assert.deepEqual([info.job_id, info.status, info.metadata], [first, 'RUNNING', { name: 'job.ts' }]);
    assert.deepEqual((await client.listJobs()).map((j) => j.job_id).sort(), [first, 'again'].sort());
  });

  it('submitJob uploads a package again when the head let it go between asking and submitting', async () => {
    const bundle = Buffer.from('console.log("evicted");\n');
    const hash = createHash('sha256').update(bundle).digest('hex');
    await client.uploadPackage(bundle);
    let first = true;
    head.onRequest = (line) => {
      if (line !== 'POST /api/jobs/' || !first) return;
      first = false;
      rmSync(join(head.packagesDir, hash)); // as the store's eviction would
    };
    const from = head.requests.length;
    try {
      assert.match(await client.submitJob({ job: bundle }), /^job-/);
    } finally {
      head.onRequest = undefined;
    }
    assert.deepEqual(head.requests.slice(from).map((r) => r.split(' ')[0]), ['GET', 'POST', 'PUT', 'POST']);
  });

  it('getJobLogs, stopJob and deleteJob say what happened', async () => {
    head.jobs.add('done', { state: 'SUCCEEDED', exitCode: 0, endedAt: 1 });
    head.jobs.print('done', 'hello\n');
    assert.equal(await client.getJobLogs('done'), 'hello\n');
    assert.equal(await client.stopJob('done'), false);
    assert.equal(await client.deleteJob('done'), true);
  });

  const FAILURES: { name: string; run: () => Promise<unknown>; error: new (...a: never[]) => Error; status: number; match: RegExp }[] = [
    { name: 'an unknown job is JobNotFoundError', run: () => client.getJobInfo('job-nope'), error: JobNotFoundError, status: 404, match: /no job job-nope/ },
    { name: 'a refused variable is JobRequestError naming the field', run: () => client.submitJob({ job: Buffer.from('x'), envVars: { RAYLAUNCH_X: '1' } }), error: JobRequestError, status: 400, match: /runtime_env\.env_vars\.RAYLAUNCH_X/ },
    { name: 'deleting a running job is JobRequestError (409)', run: () => client.deleteJob('again'), error: JobRequestError, status: 409, match: /stop it first/ },
    { name: 'a wrong credential is JobsAuthError', run: () => new JobSubmissionClient({ address: head.address, token: 'guess' }).listJobs(), error: JobsAuthError, status: 401, match: /operator's credential/ },
    { name: 'a head nobody listens for is HeadUnreachableError', run: async () => new JobSubmissionClient({ address: `http://127.0.0.1:${await closedPort()}`, token: TOKEN }).listJobs(), error: HeadUnreachableError, status: 0, match: /cannot reach the head at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/ },
  ];
  for (const c of FAILURES) {
    it(`throws a typed error: ${c.name}`, async () => {
      await assert.rejects(c.run(), (e: unknown) => e instanceof c.error && (e as JobsApiError).status === c.status && c.match.test((e as Error).message));
    });
  }

  describe('tailJobLogs', () => {
    /** Follows a job, calling `on` with each event as it comes; resolves to the output and the end. */
    async function follow(jobId: string, on: (e: TailEvent, i: number) => void | Promise<void>, c = client): Promise<{ text: string; end: TailEvent | undefined }> {
      let text = '';
      let end: TailEvent | undefined;
      let i = 0;
      for await (const e of c.tailJobLogs(jobId)) {
        if (e.type === 'output') text += e.text;
        else end = e;
        await on(e, i++);
      }
      return { text, end };
    }

    it('yields the output as it comes and then the job\'s end', async () => {
      head.jobs.add('t1');
      head.jobs.print('t1', 'one\n');
      const r = await follow('t1', (e) => {
        if (e.type === 'output' && e.text === 'one\n') head.jobs.print('t1', 'two\n', 'stderr');
        if (e.type === 'output' && e.text === 'two\n') head.jobs.end('t1', 'SUCCEEDED', 0);
      });
      assert.deepEqual(r, { text: 'one\ntwo\n', end: { type: 'end', status: 'SUCCEEDED', exitCode: 0 } });
    });

    it('goes on after its connection dropped and after the head was away, from where it was: no gap, no repeat', async () => {
      head.jobs.add('t2');
      head.jobs.print('t2', 'line 0\n');
      const r = await follow('t2', async (e, i) => {
        if (e.type !== 'output') return;
        if (i === 0) {
          head.dropConnections(); // as kill -9 of the head, its listener still up
          head.jobs.print('t2', 'line 1\n'); // printed while nobody follows
        } else if (i === 1) {
          await head.stop(); // the head away a while, then back on the same port
          head.jobs.print('t2', 'line 2\n');
          head.jobs.print('t2', 'line 3\n');
          await head.start();
        } else if (i === 3) {
          head.jobs.end('t2', 'FAILED', 4);
        }
      });
      assert.deepEqual(r, { text: 'line 0\nline 1\nline 2\nline 3\n', end: { type: 'end', status: 'FAILED', exitCode: 4 } });
      assert.deepEqual(head.jobs.follows.filter((f) => f.jobId === 't2').map((f) => f.from), [0, 7, 14]);
    });

    it('gives up with HeadUnreachableError once the head stayed away past the reconnect timeout', async () => {
      head.jobs.add('t3');
      head.jobs.print('t3', 'x\n');
      const impatient = new JobSubmissionClient({ address: head.address, token: TOKEN, reconnectTimeoutS: 0.2 });
      try {
        await assert.rejects(follow('t3', () => head.stop(), impatient), (e: unknown) => e instanceof HeadUnreachableError && /did not come back within 0\.2 s/.test(e.message));
      } finally {
        await head.start();
      }
    });

    it('an unknown job is JobNotFoundError, not a wait for the head', async () => {
      await assert.rejects(follow('job-nope', () => undefined), JobNotFoundError);
    });
  });
});
