import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { after, before, describe, it } from 'mocha';
import { WebSocket } from 'ws';
import { protocolHeaders } from '../../../src/protocol/serial-format.js';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';
import { runCli } from '../../helpers/run-cli.js';

/** How the head took one attempt: refused at the upgrade (HTTP status), closed with a reason, or answered. */
type Outcome = { refused: number } | { closed: string } | { answered: string };

/**
 * One connection with `secret` as its bearer credential, sending `frames` once open. Settles on the upgrade's
 * refusal, on the head closing it, or on the first message the head sends that is not its welcome.
 */
function attempt(address: string, secret: string, frames: unknown[][]): Promise<Outcome> {
  const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${secret}`, ...protocolHeaders() } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('the head neither refused nor answered within 15 s')); }, 15_000);
    const done = (o: Outcome) => { clearTimeout(timer); ws.terminate(); resolve(o); };
    ws.once('unexpected-response', (_req, res) => { res.resume(); done({ refused: res.statusCode ?? 0 }); });
    ws.once('open', () => { for (const f of frames) ws.send(serialize(f)); });
    ws.on('message', (data: Buffer) => {
      const msgs = (deserialize(data) as { type: string }[]).filter((m) => m.type !== 'welcome');
      if (msgs[0]) done({ answered: msgs[0].type });
    });
    ws.once('close', (_code, reason) => done({ closed: reason.toString() }));
    ws.once('error', () => undefined);
  });
}

const hello = (role: string, clientId: string, extra: Record<string, unknown> = {}) => ({ type: 'hello', role, clientId, ...extra });

/** Every cluster operation, as each role would try it. */
function operations(config: unknown, otherJob: string): [string, unknown[][]][] {
  return [
    ['cli: query', [[hello('cli', 'x1'), { type: 'query', reqId: 1, client: 'x1' }]]],
    ['cli: workers.down', [[hello('cli', 'x2'), { type: 'workers.down', reqId: 1, client: 'x2', keepMinWorkers: false }]]],
    ['cli: job.stop', [[hello('cli', 'x3'), { type: 'job.stop', jobId: otherJob }]]],
    ['cli: config.update', [[hello('cli', 'x4'), { type: 'config.update', reqId: 1, client: 'x4', config }]]],
    ['agent: node.register', [[hello('agent', 'x5', { nodeId: 'intruder' }), {
      type: 'node.register', nodeId: 'intruder', nodeType: 'worker', kind: 'worker', address: '127.0.0.1', objectAddress: '127.0.0.1:1', resources: { CPU: 64 }, pid: 1,
    }]]],
    ['driver of another job', [[hello('driver', 'x6', { jobId: otherJob }), { type: 'query', reqId: 1, client: 'x6' }]]],
  ];
}

describe('credentials: a task finds nothing that opens the cluster (process provider)', function () {
  this.timeout(240_000);
  const cluster = new TestCluster('creds', TestCluster.processConfig('creds', { workers: 1, workerCpus: 2 }));
  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  it('every secret-looking string a task reads under the node\'s state folder, /dev/shm or its environment is refused as every role', async () => {
    const stateDir = join(cluster.home, 'clusters', cluster.name);
    // A job that keeps running meanwhile: a found credential of its driver would be live.
    const other = await cluster.cli(['submit', cluster.configFile, cluster.writeFixture('process-runtime/runs-until-stopped.ts'), '--no-wait']);
    assert.equal(other.code, 0, other.stderr);
    const otherJob = (await until('the other job to run', 30_000, async () => (await cluster.status()).jobs.find((j) => j.status === 'RUNNING')?.job_id));
    // Through runCli: the cluster is not meant to settle while the other job runs.
    const r = await runCli(['submit', cluster.configFile, cluster.writeFixture('credentials/snoop.ts'), '--', stateDir], { env: { RAYLAUNCH_HOME: cluster.home }, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const line = r.stdout.split('\n').find((l) => l.startsWith('SNOOPED '));
    assert.ok(line, r.stdout);
    const found = JSON.parse(line.slice('SNOOPED '.length)) as { files: number[]; secrets: string[] };
    assert.ok(found.files.every((n) => n > 0), 'the tasks read files under the state folder');
    assert.ok(found.secrets.length > 0, 'the walk found secret-looking strings (ids, digests) to try');
    const address = cluster.headInfo().address;
    const ops = operations({}, otherJob);

    // The check can see a success: the operator's own credential (which stays on this machine) is answered.
    assert.deepEqual(await attempt(address, cluster.token(), ops[0]?.[1] ?? []), { answered: 'query.reply' });

    const opened: string[] = [];
    for (const secret of found.secrets) {
      for (const [what, frames] of ops) {
        const o = await attempt(address, secret, frames);
        if ('answered' in o || ('closed' in o && what.startsWith('agent') && !/credential/.test(o.closed))) opened.push(`${secret.slice(0, 8)}… as ${what}: ${JSON.stringify(o)}`);
        else assert.ok('refused' in o ? o.refused === 401 : true, `${what}: ${JSON.stringify(o)}`);
      }
    }
    assert.deepEqual(opened, []);
    const stopped = await cluster.cli(['job', 'stop', '-c', cluster.name, otherJob]);
    assert.equal(stopped.code, 0, stopped.stderr);
  });
});
