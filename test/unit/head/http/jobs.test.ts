import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import WebSocket from 'ws';
import { pack } from '../../../../src/common/pack.js';
import { JobsHead, OPERATOR } from '../../../helpers/jobs-head.js';
import { OpenApiCheck } from '../../../helpers/openapi.js';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const BUNDLE = Buffer.from('console.log("hi");\n');
const WORKING_DIR = pack([{ path: 'data.txt', mode: 0o644, data: Buffer.from('data\n') }]);

interface Reply { status: number; body: unknown; text: string }

describe('the head\'s Jobs REST API (against a fake job manager, checked against schemas/jobs-api.openapi.json)', () => {
  const head = new JobsHead(64 * 1024);
  const api = new OpenApiCheck();
  before(() => head.start());
  after(async () => {
    await head.stop();
    head.cleanup();
  });

  /** A request to `template` with its `{name}`s from `params`, its request and response checked against the document. */
  async function call(method: string, template: string, o: { params?: Record<string, string>; json?: unknown; bytes?: Uint8Array; auth?: string | null } = {}): Promise<Reply> {
    const path = template.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(o.params?.[k] ?? ''));
    const headers: Record<string, string> = {};
    if (o.auth !== null) headers.authorization = o.auth ?? OPERATOR;
    let body: string | Uint8Array | undefined;
    if (o.json !== undefined) {
      api.request(method, template, o.json);
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
    } else if (o.bytes) {
      body = o.bytes;
    }
    const res = await fetch(`${head.address}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    api.response(method, template, res.status, res.headers.get('content-type') ?? undefined, text);
    return { status: res.status, text, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) as unknown : undefined };
  }

  const upload = async (b: Uint8Array) => {
    const hash = sha(b);
    assert.ok([200, 201].includes((await call('PUT', '/api/packages/{hash}', { params: { hash }, bytes: b })).status));
    return `pkg://${hash}`;
  };

  describe('packages', () => {
    it('a package is uploaded once: GET says whether the head has it, PUT keeps it, a second PUT is not needed', async () => {
      const hash = sha(BUNDLE);
      assert.equal((await call('GET', '/api/packages/{hash}', { params: { hash } })).status, 404);
      const put = await call('PUT', '/api/packages/{hash}', { params: { hash }, bytes: BUNDLE });
      assert.deepEqual([put.status, put.body], [201, { uri: `pkg://${hash}`, size: BUNDLE.length }]);
      const get = await call('GET', '/api/packages/{hash}', { params: { hash } });
      assert.deepEqual([get.status, get.body], [200, { uri: `pkg://${hash}`, size: BUNDLE.length }]);
      assert.equal((await call('PUT', '/api/packages/{hash}', { params: { hash }, bytes: BUNDLE })).status, 200);
    });

    const REFUSED: { name: string; hash: string; bytes: Uint8Array; status: number; match: RegExp }[] = [
      { name: 'content whose SHA-256 is not the name it is uploaded under is refused and not kept', hash: sha('other'), bytes: Buffer.from('content'), status: 400, match: /has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64}: upload it under its own hash/ },
      { name: 'a name that is not a SHA-256 in hex is refused', hash: 'ABC', bytes: Buffer.from('x'), status: 400, match: /is not a SHA-256 in lowercase hex/ },
      { name: 'a package past the cluster\'s upload limit is refused with the setting to change', hash: sha(Buffer.alloc(70 * 1024)), bytes: Buffer.alloc(70 * 1024), status: 413, match: /raylaunch\.max_upload_mb/ },
    ];
    for (const c of REFUSED) {
      it(c.name, async () => {
        const r = await call('PUT', '/api/packages/{hash}', { params: { hash: c.hash }, bytes: c.bytes });
        assert.equal(r.status, c.status, r.text);
        assert.match(r.text, c.match);
        assert.deepEqual(readdirSync(head.packagesDir).filter((f) => f.startsWith(c.hash) || f.startsWith(`.${c.hash}`)), []);
      });
    }
  });

  describe('submitting', () => {
    it('POST /api/jobs/ starts the uploaded bundle with its arguments, working dir, variables, metadata and submission id', async () => {
      const job = await upload(BUNDLE);
      const wd = await upload(WORKING_DIR);
      const r = await call('POST', '/api/jobs/', {
        json: { entrypoint: `${job} --rounds 3 'two words' "it's"`, submission_id: 'my-job-1', runtime_env: { working_dir: wd, env_vars: { MODE: 'fast' } }, metadata: { name: 'train.ts', owner: 'ana' } },
      });
      assert.deepEqual([r.status, r.body], [200, { job_id: 'my-job-1', submission_id: 'my-job-1' }]);
      const s = head.jobs.submitted.at(-1);
      assert.ok(s);
      assert.deepEqual([s.name, s.args, s.env, s.jobId], ['train.ts', ['--rounds', '3', 'two words', 'it\'s'], { MODE: 'fast' }, 'my-job-1']);
      assert.deepEqual([Buffer.from(s.bundle).toString(), Buffer.from(s.workingDir ?? []).equals(Buffer.from(WORKING_DIR))], [BUNDLE.toString(), true]);
      const details = await call('GET', '/api/jobs/{job_id}', { params: { job_id: 'my-job-1' } });
      assert.deepEqual(details.body, {
        type: 'SUBMISSION', job_id: 'my-job-1', submission_id: 'my-job-1', name: 'train.ts', status: 'RUNNING',
        entrypoint: `${job} --rounds 3 'two words' "it's"`, message: 'Job is currently running.', error_type: null,
        start_time: 1_700_000_000_000, end_time: null, metadata: { name: 'train.ts', owner: 'ana' },
        runtime_env: { working_dir: wd, env_vars: { MODE: 'fast' } }, driver_exit_code: null, driver_info: null,
      });
    });

    it('without a submission_id the head picks the job\'s id', async () => {
      const r = await call('POST', '/api/jobs/', { json: { entrypoint: `pkg://${sha(BUNDLE)}` } });
      assert.equal(r.status, 200, r.text);
      assert.match((r.body as { submission_id: string }).submission_id, /^job-[0-9a-f]{8}$/);
      assert.equal(head.jobs.submitted.at(-1)?.name, 'job');
    });

    const pkg = `pkg://${sha(BUNDLE)}`;
    const REFUSED: { name: string; body: unknown; status: number; match: RegExp }[] = [
      { name: 'no entrypoint', body: { runtime_env: {} }, status: 400, match: /entrypoint is required/ },
      { name: 'an entrypoint that is not a package', body: { entrypoint: 'node job.mjs' }, status: 400, match: /entrypoint must start with the uploaded job bundle's package URI \(pkg:\/\/<sha256>\), not "node"/ },
      { name: 'an entrypoint whose package was not uploaded', body: { entrypoint: `pkg://${'0'.repeat(64)} a` }, status: 400, match: /entrypoint: no package 0{64} on the head: upload the job bundle with PUT \/api\/packages\/0{64} first/ },
      { name: 'an entrypoint with an unclosed quote', body: { entrypoint: `${pkg} 'a` }, status: 400, match: /entrypoint: the single quote at character \d+ is not closed/ },
      { name: 'a RAYLAUNCH_ variable', body: { entrypoint: pkg, runtime_env: { env_vars: { RAYLAUNCH_ADDRESS: 'x' } } }, status: 400, match: /runtime_env\.env_vars\.RAYLAUNCH_ADDRESS: RAYLAUNCH_ variables are raylaunch's own/ },
      { name: 'a variable that changes how Node.js runs, without allow_node_env', body: { entrypoint: pkg, runtime_env: { env_vars: { NODE_OPTIONS: '--require x' } } }, status: 400, match: /runtime_env\.env_vars\.NODE_OPTIONS changes how Node\.js runs the job: .*set runtime_env\.allow_node_env to true/ },
      { name: 'a variable name that is none', body: { entrypoint: pkg, runtime_env: { env_vars: { '1X': 'v' } } }, status: 400, match: /runtime_env\.env_vars\.1X: not a variable name/ },
      { name: 'a variable whose value is not a string', body: { entrypoint: pkg, runtime_env: { env_vars: { N: 1 } } }, status: 400, match: /runtime_env\.env_vars\.N must be a string/ },
      { name: 'a working_dir that was not uploaded', body: { entrypoint: pkg, runtime_env: { working_dir: `pkg://${'1'.repeat(64)}` } }, status: 400, match: /runtime_env\.working_dir: no package 1{64} on the head/ },
      { name: 'a working_dir that is a local path', body: { entrypoint: pkg, runtime_env: { working_dir: './data' } }, status: 400, match: /runtime_env\.working_dir must be an uploaded package's URI/ },
      { name: 'a runtime_env field this head does not support', body: { entrypoint: pkg, runtime_env: { pip: ['x'] } }, status: 400, match: /runtime_env\.pip is not supported here/ },
      { name: 'a submission_id that is not a plain name', body: { entrypoint: pkg, submission_id: '../x' }, status: 400, match: /submission_id must be 1 to 64 letters/ },
      { name: 'metadata that is not strings', body: { entrypoint: pkg, metadata: { n: 1 } }, status: 400, match: /metadata\.n must be a string/ },
      { name: 'a field that is not one of a submission', body: { entrypoint: pkg, entrypoint_num_cpus: 2 }, status: 400, match: /entrypoint_num_cpus is not a field of a job submission/ },
      { name: 'a submission the job manager refuses', body: { entrypoint: `${pkg} refuse-me` }, status: 400, match: /argument 1 is refused by the fake/ },
      { name: 'a submission_id another job has', body: { entrypoint: pkg, submission_id: 'my-job-1' }, status: 409, match: /submission_id my-job-1 is taken by another job/ },
    ];
    for (const c of REFUSED) {
      it(`refused, naming the field and what to do: ${c.name}`, async () => {
        const before = head.jobs.submitted.length;
        const res = await fetch(`${head.address}/api/jobs/`, { method: 'POST', headers: { authorization: OPERATOR, 'content-type': 'application/json' }, body: JSON.stringify(c.body) });
        const text = await res.text();
        api.response('POST', '/api/jobs/', res.status, res.headers.get('content-type') ?? undefined, text);
        assert.equal(res.status, c.status, text);
        assert.match((JSON.parse(text) as { error: string }).error, c.match);
        assert.equal(head.jobs.submitted.length, before, 'no job was started');
      });
    }

    it('a package the head does not have is named in the raylaunch-missing-package header, so a client can upload it again', async () => {
      const absent = 'e'.repeat(64);
      const CASES = [{ entrypoint: `pkg://${absent}` }, { entrypoint: pkg, runtime_env: { working_dir: `pkg://${absent}` } }];
      for (const json of CASES) {
        const res = await fetch(`${head.address}/api/jobs/`, { method: 'POST', headers: { authorization: OPERATOR, 'content-type': 'application/json' }, body: JSON.stringify(json) });
        await res.text();
        assert.deepEqual([res.status, res.headers.get('raylaunch-missing-package')], [400, absent]);
      }
      const other = await fetch(`${head.address}/api/jobs/`, { method: 'POST', headers: { authorization: OPERATOR, 'content-type': 'application/json' }, body: '{}' });
      await other.text();
      assert.equal(other.headers.get('raylaunch-missing-package'), null, 'only when a package is missing');
    });

    it('NODE_OPTIONS is taken with runtime_env.allow_node_env, as submit --allow-node-env', async () => {
      const r = await call('POST', '/api/jobs/', { json: { entrypoint: pkg, runtime_env: { env_vars: { NODE_OPTIONS: '--max-old-space-size=512' }, allow_node_env: true } } });
      assert.equal(r.status, 200, r.text);
    });
  });

  describe('jobs', () => {
    before(() => {
      head.jobs.add('ended-ok', { state: 'SUCCEEDED', exitCode: 0, endedAt: 1_700_000_002_000 });
      head.jobs.add('ended-bad', { state: 'FAILED', exitCode: 3, endedAt: 1_700_000_002_000 });
      head.jobs.add('by-hand', { interactive: true, name: 'interactive driver' });
      head.jobs.add('running');
      head.jobs.print('running', 'line 1\n');
      head.jobs.print('running', 'oops\n', 'stderr');
    });

    it('GET /api/jobs/ lists every job as Ray\'s JobDetails; a driver started by hand is of type DRIVER', async () => {
      const r = await call('GET', '/api/jobs/');
      const jobs = r.body as { job_id: string; type: string; status: string; error_type: string | null; message: string }[];
      const byId = new Map(jobs.map((j) => [j.job_id, j]));
      assert.equal(byId.get('by-hand')?.type, 'DRIVER');
      assert.deepEqual([byId.get('ended-bad')?.status, byId.get('ended-bad')?.error_type, byId.get('ended-bad')?.message], ['FAILED', 'JOB_ENTRYPOINT_COMMAND_ERROR', 'Job failed: its driver exited with code 3; its logs say why.']);
      assert.deepEqual([byId.get('ended-ok')?.status, byId.get('ended-ok')?.error_type], ['SUCCEEDED', null]);
    });

    it('GET /api/jobs/{id}/logs is what the job printed so far', async () => {
      const r = await call('GET', '/api/jobs/{job_id}/logs', { params: { job_id: 'running' } });
      assert.deepEqual(r.body, { logs: 'line 1\noops\n' });
    });

    const MISSING: [string, string][] = [['GET', '/api/jobs/{job_id}'], ['GET', '/api/jobs/{job_id}/logs'], ['POST', '/api/jobs/{job_id}/stop'], ['DELETE', '/api/jobs/{job_id}']];
    for (const [method, template] of MISSING) {
      it(`${method} ${template} of an unknown job is 404 with where to look`, async () => {
        const r = await call(method, template, { params: { job_id: 'job-nope' } });
        assert.equal(r.status, 404);
        assert.match(r.text, /no job job-nope on this cluster: list the jobs with GET \/api\/jobs\//);
      });
    }

    it('POST /api/jobs/{id}/stop stops a running job and says so; an ended one is left as it is', async () => {
      head.jobs.stopped = [];
      assert.deepEqual((await call('POST', '/api/jobs/{job_id}/stop', { params: { job_id: 'running' } })).body, { stopped: true });
      assert.deepEqual((await call('POST', '/api/jobs/{job_id}/stop', { params: { job_id: 'ended-ok' } })).body, { stopped: false });
      assert.deepEqual(head.jobs.stopped, ['running']);
    });

    it('DELETE /api/jobs/{id} forgets an ended job and refuses a running one (stop it first)', async () => {
      const running = await call('DELETE', '/api/jobs/{job_id}', { params: { job_id: 'running' } });
      assert.equal(running.status, 409);
      assert.match(running.text, /job running has not ended: stop it first \(POST \/api\/jobs\/running\/stop\), then delete it/);
      assert.deepEqual((await call('DELETE', '/api/jobs/{job_id}', { params: { job_id: 'ended-ok' } })).body, { deleted: true });
      assert.equal((await call('GET', '/api/jobs/{job_id}', { params: { job_id: 'ended-ok' } })).status, 404);
    });
  });

  describe('logs/tail (a WebSocket)', () => {
    /** Opens a tail and collects its frames until it closes; `during` runs once the socket is open. */
    async function tail(jobId: string, from: number | undefined, during: () => void): Promise<{ frames: unknown[]; code: number }> {
      const ws = new WebSocket(`ws://127.0.0.1:${head.port}/api/jobs/${jobId}/logs/tail${from === undefined ? '' : `?from=${from}`}`, { headers: { authorization: OPERATOR } });
      const frames: unknown[] = [];
      ws.on('message', (d: WebSocket.RawData) => {
        const f = JSON.parse(d.toString()) as unknown;
        api.frame('/api/jobs/{job_id}/logs/tail', f);
        frames.push(f);
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      during();
      const code = await new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
      return { frames, code };
    }

    it('sends the output from character `from` on, then what comes, then the end, and closes normally', async () => {
      head.jobs.add('tailed');
      head.jobs.print('tailed', 'abcdef\n');
      const { frames, code } = await tail('tailed', 3, () => {
        head.jobs.print('tailed', 'more\n', 'stderr');
        head.jobs.end('tailed', 'FAILED', 2);
      });
      assert.deepEqual(frames, [
        { type: 'output', stream: 'stdout', text: 'def\n', at: 3 },
        { type: 'output', stream: 'stderr', text: 'more\n', at: 7 },
        { type: 'end', status: 'FAILED', driver_exit_code: 2 },
      ]);
      assert.equal(code, 1000);
      assert.deepEqual(head.jobs.follows.at(-1), { jobId: 'tailed', follow: true, from: 3 });
      assert.equal(head.jobs.followers('tailed'), 0);
    });

    it('a follower that goes away is no longer followed', async () => {
      head.jobs.add('left');
      const ws = new WebSocket(`ws://127.0.0.1:${head.port}/api/jobs/left/logs/tail`, { headers: { authorization: OPERATOR } });
      await new Promise((resolve) => ws.once('open', resolve));
      assert.equal(head.jobs.followers('left'), 1);
      const unfollowed = head.jobs.nextUnfollow();
      ws.close();
      await unfollowed;
      assert.equal(head.jobs.followers('left'), 0);
    });

    const REFUSED: { name: string; path: string; auth: boolean; status: number }[] = [
      { name: 'an unknown job', path: '/api/jobs/job-nope/logs/tail', auth: true, status: 404 },
      { name: 'a from that is not a whole number', path: '/api/jobs/tailed/logs/tail?from=-1', auth: true, status: 400 },
      { name: 'no credential', path: '/api/jobs/tailed/logs/tail', auth: false, status: 401 },
    ];
    for (const c of REFUSED) {
      it(`the upgrade is refused with ${c.status} for ${c.name}`, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${head.port}${c.path}`, c.auth ? { headers: { authorization: OPERATOR } } : {});
        const status = await new Promise<number>((resolve) => {
          ws.on('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0);
            res.resume();
          });
          ws.on('error', () => undefined);
        });
        ws.terminate();
        assert.equal(status, c.status);
      });
    }
  });

  describe('without the operator\'s credential', () => {
    for (const op of new OpenApiCheck().operations().filter((o) => !o.endsWith('/logs/tail'))) {
      const [method = '', template = ''] = op.split(' ');
      it(`${method.toUpperCase()} ${template} is 401 without a credential and 403 with a node's`, async () => {
        const params = { hash: sha(BUNDLE), job_id: 'running' };
        assert.equal((await call(method.toUpperCase(), template, { params, auth: null })).status, 401);
        const node = await fetch(`${head.address}${template.replace(/\{(\w+)\}/g, (_m, k: string) => params[k as keyof typeof params])}`, { method: method.toUpperCase(), headers: { authorization: 'Bearer node-secret' } });
        assert.equal(node.status, 403, await node.text());
      });
    }
  });

  // Last: mocha runs a suite's own tests before its nested suites'.
  describe('the document', () => {
    it('GET /api/version says the API\'s version, as Ray\'s does', async () => {
      const r = await call('GET', '/api/version');
      assert.equal((r.body as { version: string }).version, '1');
    });

    it('every operation of the document was run and answered as it says', () => {
      assert.deepEqual(api.notRun(), []);
      assert.ok(existsSync(join(head.packagesDir, sha(BUNDLE))));
    });
  });
});
