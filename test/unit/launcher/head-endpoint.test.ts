import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { UsageError } from '../../../src/common/errors.js';
import { HeadUnreachableError, JobNotFoundError, JobRequestError, JobsApiError, JobsAuthError } from '../../../src/jobs-client/index.js';
import { HeadConnectionError, JobNotFoundError as CliJobNotFound, JobRefusedError } from '../../../src/launcher/errors.js';
import { cliJobsError } from '../../../src/launcher/head-endpoint.js';

describe('the Jobs API client\'s errors as the CLI\'s (cliJobsError)', () => {
  const CASES: { name: string; error: Error; cli: new (...a: never[]) => Error; message: RegExp; hint?: RegExp }[] = [
    { name: 'a refused request is JobRefusedError with the head\'s reason', error: new JobRequestError('runtime_env.env_vars.X: …', 400), cli: JobRefusedError, message: /^the head refused the job: runtime_env\.env_vars\.X/ },
    { name: 'an unknown job is JobNotFoundError, with where to look', error: new JobNotFoundError('no job j on this cluster', 404), cli: CliJobNotFound, message: /^no job j/, hint: /raylaunch job list/ },
    { name: 'a refused credential is HeadConnectionError naming the credential file', error: new JobsAuthError('no', 401), cli: HeadConnectionError, message: /refused this machine's operator credential/, hint: /~\/\.raylaunch\/credentials\/demo/ },
    { name: 'an unreachable head is HeadConnectionError, with how to check it', error: new HeadUnreachableError('cannot reach the head at x', 0), cli: HeadConnectionError, message: /^cannot reach the head at x$/, hint: /raylaunch status -c demo/ },
    { name: 'another failure of the head is HeadConnectionError', error: new JobsApiError('boom', 500), cli: HeadConnectionError, message: /^the head failed: boom$/ },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      const e = cliJobsError(c.error, 'demo');
      assert.ok(e instanceof c.cli, String(e));
      assert.match((e as Error).message, c.message);
      if (c.hint) assert.match((e as { hint?: string }).hint ?? '', c.hint);
      assert.equal((e as Error).cause, c.error);
    });
  }

  it('what is not the client\'s passes through as it is', () => {
    const e = new UsageError('x');
    assert.equal(cliJobsError(e, 'demo'), e);
  });
});
