import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { pack } from '../../../src/common/pack.js';
import { bundleJob } from '../../../src/launcher/bundle.js';
import { followJob, JobNotFoundError, JobsAuthError, JobSubmissionClient } from '../../../src/jobs-client/index.js';
import { TestCluster } from '../../helpers/cluster.js';
import { OpenApiCheck } from '../../helpers/openapi.js';

const JOB = `import { get, main, remote } from 'raylaunch';
import { readFileSync } from 'node:fs';

const square = remote(function square(x: number) { return x * x; });

main(async (args) => {
  console.log('args ' + JSON.stringify(args));
  console.log('square ' + (await get(square.remote(7))));
  console.log('env ' + process.env.MODE + ' data ' + readFileSync('data.txt', 'utf8').trim());
  console.error('to stderr');
});
`;

const WAITS = `import { main } from 'raylaunch';

main(async () => {
  console.log('waiting to be stopped');
  await new Promise(() => setInterval(() => undefined, 1000));
});
`;

/** curl as a user types it (README's example); resolves to its status line's code and body. */
function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['-sS', '-w', '\n%{http_code}', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`curl exited ${code}: ${err}`));
      const i = out.lastIndexOf('\n');
      resolve({ status: Number(out.slice(i + 1)), body: out.slice(0, i) });
    });
  });
}

describe('the Jobs REST API on a process cluster (end to end)', function () {
  this.timeout(180_000);
  const name = `jobsapi${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 2, workers: 0 }));
  const api = new OpenApiCheck();
  let client: JobSubmissionClient;
  let address = '';
  let jobId = '';

  before(async () => {
    await cluster.start();
    address = `http://${cluster.headInfo().address}`;
    client = new JobSubmissionClient({ address, token: cluster.token() });
  });
  after(async () => {
    await client.close();
    await cluster.stop();
  });

  it('a job submitted through JobSubmissionClient runs with its arguments, variables and working dir; its output tails live and its details say SUCCEEDED', async () => {
    const bundle = await bundleJob(join(cluster.writeJob({ 'job.ts': JOB }), 'job.ts'));
    const workingDir = pack([{ path: 'data.txt', mode: 0o644, data: Buffer.from('from the working dir\n') }]);
    jobId = await client.submitJob({ job: bundle, args: ['a b', 'c'], workingDir, envVars: { MODE: 'fast' }, metadata: { name: 'job.ts' } });
    let stdout = '';
    let stderr = '';
    const end = await followJob(client, jobId, (stream, text) => {
      if (stream === 'stdout') stdout += text;
      else stderr += text;
    });
    assert.deepEqual(end, { status: 'SUCCEEDED', exitCode: 0 }, `${stdout}\n${stderr}`);
    assert.match(stdout, /^args \["a b","c"\]$/m);
    assert.match(stdout, /^square 49$/m);
    assert.match(stdout, /^env fast data from the working dir$/m);
    assert.match(stderr, /^to stderr$/m);
    const info = await client.getJobInfo(jobId);
    assert.deepEqual([info.status, info.driver_exit_code, info.type, info.name, info.runtime_env.env_vars], ['SUCCEEDED', 0, 'SUBMISSION', 'job.ts', { MODE: 'fast' }]);
    assert.match(await client.getJobLogs(jobId), /square 49/);

    // The same bundle again: the head has its package, so nothing is uploaded twice.
    const packages = join(cluster.home, 'clusters', name, 'packages');
    const before = readdirSync(packages).length;
    const again = await client.submitJob({ job: bundle, args: ['again'], workingDir, envVars: { MODE: 'x' } });
    assert.equal((await followJob(client, again, () => undefined)).status, 'SUCCEEDED');
    assert.equal(readdirSync(packages).length, before);
  });

  it('the routes answer curl with the operator\'s credential, as the OpenAPI document says', async () => {
    const auth = ['-H', `Authorization: Bearer ${cluster.token()}`];
    const version = await curl([...auth, `${address}/api/version`]);
    api.response('GET', '/api/version', version.status, 'application/json', version.body);
    const list = await curl([...auth, `${address}/api/jobs/`]);
    api.response('GET', '/api/jobs/', list.status, 'application/json', list.body);
    assert.ok((JSON.parse(list.body) as { job_id: string }[]).some((j) => j.job_id === jobId));
    const one = await curl([...auth, `${address}/api/jobs/${jobId}`]);
    api.response('GET', '/api/jobs/{job_id}', one.status, 'application/json', one.body);
    assert.equal((JSON.parse(one.body) as { status: string }).status, 'SUCCEEDED');
    const logs = await curl([...auth, `${address}/api/jobs/${jobId}/logs`]);
    api.response('GET', '/api/jobs/{job_id}/logs', logs.status, 'application/json', logs.body);
    assert.match((JSON.parse(logs.body) as { logs: string }).logs, /square 49/);
  });

  it('without the operator\'s credential every route is refused with 401, and a wrong one too', async () => {
    for (const path of ['/api/version', '/api/jobs/', `/api/jobs/${jobId}`, `/api/jobs/${jobId}/logs`]) {
      const none = await curl([`${address}${path}`]);
      assert.equal(none.status, 401, `${path}: ${none.body}`);
      assert.match(none.body, /the operator's credential \(Authorization: Bearer …\) or a dashboard session is required/);
    }
    const stop = await curl(['-X', 'POST', `${address}/api/jobs/${jobId}/stop`]);
    assert.equal(stop.status, 401);
    await assert.rejects(new JobSubmissionClient({ address, token: 'rlo_guess' }).listJobs(), JobsAuthError);
  });

  it('a job stopped through the API ends STOPPED; DELETE then forgets it, its folder and logs', async () => {
    const bundle = await bundleJob(join(cluster.writeJob({ 'job.ts': WAITS }), 'job.ts'));
    const id = await client.submitJob({ job: bundle, submissionId: 'to-stop' });
    assert.equal(id, 'to-stop');
    let stopped = false;
    let out = '';
    for await (const e of client.tailJobLogs(id)) {
      if (e.type === 'end') {
        assert.equal(e.status, 'STOPPED');
        break;
      }
      out += e.text;
      if (!stopped && /waiting to be stopped/.test(out)) {
        stopped = await client.stopJob(id);
        assert.ok(stopped);
      }
    }
    assert.equal((await client.getJobInfo(id)).status, 'STOPPED');
    assert.equal(await client.deleteJob(id), true);
    await assert.rejects(client.getJobInfo(id), JobNotFoundError);
    assert.equal(existsSync(join(cluster.home, 'clusters', name, 'jobs', id)), false);
  });
});
