import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { WebSocket } from 'ws';
import { pack } from '../../../src/common/pack.js';
import { encodeFrame } from '../../../src/protocol/codec.js';
import { type Message } from '../../../src/protocol/messages.js';
import { protocolHeaders } from '../../../src/protocol/serial-format.js';
import { TestCluster } from '../../helpers/cluster.js';
import { helloAsDriver, rawPeer } from '../../helpers/raw-peer.js';
import { until } from '../../helpers/until.js';

const MIB = 1024 * 1024;

/** The most memory the process has held at once (VmHWM), from /proc: a peak that no later free hides. */
const peakRss = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

describe('bounded resources on the control plane (process cluster, end to end)', function () {
  this.timeout(180_000);
  const name = `limits${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 1, extra: 'raylaunch: {max_upload_mb: 1, max_message_mb: 48}' }));
  let address: string;
  let pid: number;
  const headLog = () => readFileSync(join(cluster.home, 'clusters', name, 'logs', `${(JSON.parse(readFileSync(join(cluster.home, 'clusters', name, 'head.json'), 'utf8')) as { nodeId: string }).nodeId}.log`), 'utf8');

  before(async () => {
    await cluster.start();
    ({ address, pid } = cluster.headInfo());
  });
  after(async () => { await cluster.stop(); });

  const connect = async () => {
    const ws = new WebSocket(`ws://${address}`, { headers: { authorization: `Bearer ${cluster.token()}`, ...protocolHeaders() } });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return ws;
  };

  it('a 200 MiB junk frame is refused at the frame limit without the head\'s memory growing by its size', async () => {
    const before = peakRss(pid);
    const ws = await connect();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(Buffer.alloc(200 * MIB, 0xab));
    // 1009 when the close frame arrives before our write fails, 1006 when the head drops the socket first.
    assert.ok([1006, 1009].includes(await closed));
    const grown = peakRss(pid) - before;
    assert.ok(grown < 32 * MIB, `the head's peak RSS grew by ${(grown / MIB).toFixed(1)} MiB`);
  });

  it('a job.submit whose working dir is past the head\'s raylaunch.max_upload_mb is refused by the head (the CLI\'s check bypassed)', async () => {
    const workingDir = pack([{ path: 'big.bin', mode: 0o644, data: new Uint8Array(2 * MIB) }]);
    const submit = { type: 'job.submit', reqId: 1, name: 'too-big.mjs', bundle: new TextEncoder().encode('export {};\n'), args: [], env: {}, workingDir };
    const r = await rawPeer(address, cluster.token(), [[{ type: 'hello', role: 'cli', clientId: 'c-big' }, submit]], {
      done: (got) => got.some((m) => m.type === 'job.refused' || m.type === 'job.accepted'),
    });
    const answer = r.received.find((m) => m.type === 'job.refused' || m.type === 'job.accepted');
    assert.equal(answer?.type, 'job.refused', JSON.stringify(answer));
    assert.match(String(answer.message), /2\.0 MB is more than this cluster takes \(1\.0 MB, raylaunch\.max_upload_mb/);
  });

  it('a 40 MB put() from a driver works, as a value and as a task\'s argument', async () => {
    const dir = cluster.writeJob({
      'job.ts': `
import { get, main, put, remote } from 'raylaunch';
export const sum = remote(function sum(a: Uint8Array) { let s = 0; for (const b of a) s += b; return s; });
main(async () => {
  const ref = put(new Uint8Array(40_000_000).fill(3));
  const back = await get(ref);
  console.log('back', back.byteLength, back[39_999_999]);
  console.log('sum', await get(sum.remote(ref)));
});
`,
    });
    const r = await cluster.submit(join(dir, 'job.ts'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^back 40000000 3$/m);
    assert.match(r.stdout, /^sum 120000000$/m);
  });

  it('a peer that never reads is closed once past the bound, without the head\'s memory growing by what it asked for; others carry on', async () => {
    const before = peakRss(pid);
    const ws = await connect();
    const jobId = await helloAsDriver(ws, 'slow');
    ws.pause(); // reads nothing, ever
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    const { nodeId } = JSON.parse(readFileSync(join(cluster.home, 'clusters', name, 'head.json'), 'utf8')) as { nodeId: string };
    const pull = (reqId: number): Message => ({ type: 'object.pull', reqId, client: 'slow', id: 'slow.o', nodeId });
    // 150 answers of 2 MiB each: 300 MiB the head would hold for it without a bound (48 MiB with it).
    ws.send(encodeFrame([{ type: 'put', id: 'slow.o', owner: 'slow', jobId, value: { kind: 'inline', data: new Uint8Array(2 * MIB) } }]));
    ws.send(encodeFrame(Array.from({ length: 150 }, (_, i) => pull(i))));
    await until('the head to close the slow reader', 30_000, () => (/closing connection \d+ \(driver slow\): it does not read what it is sent/.test(headLog()) ? true : undefined));
    ws.resume();
    await closed;
    const grown = peakRss(pid) - before;
    assert.ok(grown < 100 * MIB, `the head's peak RSS grew by ${(grown / MIB).toFixed(1)} MiB`);
    const st = await cluster.status();
    assert.ok(st.nodes.length >= 2, 'the cluster still answers');
  });
});
