import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { spawn } from 'node:child_process';
import { WebSocket } from 'ws';
import { REPO } from '../../helpers/run-cli.js';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../../src/protocol/messages.js';
import { protocolHeaders } from '../../../src/protocol/serial-format.js';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';

/** Jobs of test/fixtures/jobs/; `legacyDep`: the job's folder gets the CommonJS npm package its lib.ts imports. */
const JOBS: Record<string, { job: string; legacyDep?: true; args?: string[]; code: number; stdout?: RegExp[]; stderr?: RegExp[] }> = {
  'tasks, chained refs, nested tasks, put and wait': {
    code: 0,
    stdout: [/^all good$/m],
    job: 'process-runtime/tasks-and-objects.ts',
  },
  'structured-clone values survive; functions raise SerializationError': {
    code: 0,
    stdout: [/^values ok$/m],
    job: 'process-runtime/values.ts',
  },
  'a task error reaches get() with the remote stack; an uncaught one fails the job': {
    code: 1,
    stdout: [/^caught TaskError RangeError too big 7 true$/m],
    stderr: [/RangeError: too big 7/, /job\.ts:5:\d+/, /raised in task check on node/],
    job: 'process-runtime/task-error.ts',
  },
  'a job outside the repository with a local import and an npm dependency that calls require()': {
    code: 0,
    args: ['--', 'alpha', 'beta'],
    stdout: [/^args: alpha,beta$/m, /^greeting: hello, world \(via legacy-dep on .+\)$/m],
    job: 'process-runtime/local-import/job.ts',
    legacyDep: true,
  },
  'console.log in tasks streams to the driver, prefixed with the task and node': {
    code: 0,
    stdout: [/^\(chatty node=\S+ pid=\d+\) hello from a task 1$/m, /^done$/m],
    job: 'process-runtime/task-output.ts',
  },
  'a crashed worker process fails only its task, which is retried, then WorkerCrashedError': {
    code: 0,
    stdout: [/^retried: survived$/m, /^gave up: WorkerCrashedError$/m],
    job: 'process-runtime/crashed-worker.ts',
  },
  'work no node type can run is reported to the driver as infeasible': {
    code: 0,
    stderr: [/warning: task needsGpu needs \{CPU: 1, GPU: 1\}, which no node type of this cluster offers/],
    stdout: [/^still pending$/m],
    job: 'process-runtime/infeasible.ts',
  },
  'calling .remote() outside main() says where driver code belongs': {
    code: 1,
    stderr: [/driver code belongs inside main\(\)/],
    job: 'process-runtime/remote-outside-main.ts',
  },
  'the API reports context, nodes and resources': {
    code: 0,
    stdout: [/^nodes 3 alive; total CPU 5; task ran on a node: true; job matches: true$/m],
    job: 'process-runtime/context.ts',
  },
};

describe('the runtime on the process provider (end to end)', function () {
  this.timeout(120_000);
  const cluster = new TestCluster(`e2e${process.pid}`, TestCluster.processConfig(`e2e${process.pid}`));

  before(async () => { await cluster.start(); });
  after(async () => {
    const down = await cluster.cli(['down', '-c', cluster.name]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(existsSync(join(cluster.home, 'clusters', cluster.name, 'logs-last-run')), 'the last run\'s logs are kept');
    assert.deepEqual(cluster.processes(), [], 'down leaves no process of the cluster');
    await cluster.stop();
  });

  for (const [name, job] of Object.entries(JOBS)) {
    it(name, async () => {
      const file = cluster.writeFixture(job.job);
      const dir = dirname(file);
      if (job.legacyDep) {
        // A CommonJS npm package that calls require(): the bundle's banner must provide it.
        mkdirSync(join(dir, 'node_modules', 'legacy-dep'), { recursive: true });
        writeFileSync(join(dir, 'node_modules', 'legacy-dep', 'package.json'), JSON.stringify({ name: 'legacy-dep', main: 'index.js' }));
        writeFileSync(join(dir, 'node_modules', 'legacy-dep', 'index.js'), "const os = require('node:os');\nmodule.exports = { describe: () => 'legacy-dep on ' + os.platform() };\n");
      }
      const r = await cluster.submit(file, job.args ?? []);
      assert.equal(r.code, job.code, `exit code\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      for (const re of job.stdout ?? []) assert.match(r.stdout, re);
      for (const re of job.stderr ?? []) assert.match(r.stderr, re);
    });
  }

  const refused: [string, Record<string, string>, number, RegExp][] = [
    ['a connection without a credential is refused with 401', { ...protocolHeaders() }, 401, /a credential of this cluster is required/],
    ['a connection with a wrong credential is refused with 401', { authorization: 'Bearer not-the-token', ...protocolHeaders() }, 401, /a credential of this cluster is required/],
    ['a peer of another protocol version is told which side to upgrade', { authorization: 'TOKEN', [PROTOCOL_HEADER]: String(PROTOCOL_VERSION + 1) }, 426, /upgrade the cluster/],
  ];
  for (const [name, headers, status, body] of refused) {
    it(name, async () => {
      const h = { ...headers };
      if (h.authorization === 'TOKEN') h.authorization = `Bearer ${cluster.token()}`;
      const ws = new WebSocket(`ws://${cluster.headInfo().address}`, { headers: h });
      const result = await new Promise<{ status: number; body: string; opened: boolean }>((resolve) => {
        ws.once('open', () => { ws.close(); resolve({ status: 101, body: '', opened: true }); });
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (d: Buffer) => { text += d.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, opened: false }));
        });
        ws.once('error', () => undefined);
      });
      assert.equal(result.opened, false);
      assert.equal(result.status, status);
      assert.match(result.body, body);
    });
  }

  it('SIGTERM to submit stops the job and exits 130', async () => {
    const job = cluster.writeFixture('process-runtime/runs-until-stopped.ts');
    const child = spawn(process.execPath, [join(REPO, 'bin/run.js'), 'submit', '-c', cluster.name, job], {
      env: { ...process.env, RAYLAUNCH_HOME: cluster.home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until('the job to print that it started', 30_000, () => (out.includes('started') ? true : undefined));
    child.kill('SIGTERM');
    assert.equal(await exited, 130);
    await until('status to show the job STOPPED', 30_000, async () => {
      const { jobs } = JSON.parse((await cluster.cli(['status', '-c', cluster.name, '--json'])).stdout) as StatusJson;
      if (jobs.some((j) => j.status === 'STOPPED')) return true;
      throw new Error(JSON.stringify(jobs));
    });
  });

  it('status shows the nodes and the finished jobs', async () => {
    const r = await cluster.cli(['status', cluster.configFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /head-\w+\s+head\s+head\s+ALIVE\s+CPU \d+\/1/);
    assert.equal((r.stdout.match(/worker-\w+\s+worker\s+worker\s+ALIVE/g) ?? []).length, 2);
    assert.match(r.stdout, /job-\w+\s+SUCCEEDED\s+0\s+job\.ts/);
  });
});
