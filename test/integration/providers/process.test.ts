import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'mocha';
import { ProviderConfigError } from '../../../providers/errors.js';
import { moveLogsAside, ProcessProvider } from '../../../providers/process/index.js';
import { parseStat, readStat } from '../../../providers/process/proc.js';
import { providerConformance } from './conformance.js';
import { exited, killIfOurs, pendingSignals, processCluster, startStranger, until, type ProcessCluster } from './process-fixture.js';

providerConformance('process', () => processCluster());

describe('process provider', () => {
  const clusters: ProcessCluster[] = [];
  const strangers: { pid: number; startTime: number }[] = [];
  const cluster = async (...args: Parameters<typeof processCluster>): Promise<ProcessCluster> => {
    const c = await processCluster(...args);
    clusters.push(c);
    return c;
  };
  afterEach(async () => {
    const done = await Promise.allSettled([...clusters.splice(0).map((c) => c.cleanup()), ...strangers.splice(0).map((s) => killIfOurs(s.pid, s.startTime))]);
    const failed = done.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  const launchOne = async (c: ProcessCluster, nodeType: string, kind: 'head' | 'worker' = 'worker'): Promise<string> => {
    const requestId = `r-${nodeType}-${Date.now()}`;
    await c.provider.launch({ requestId, nodeType, kind, count: 1 });
    const node = (await c.provider.listNodes()).find((n) => n.requestId === requestId);
    assert.ok(node, 'the launched node is listed');
    return node.id;
  };
  const logOf = (c: ProcessCluster, id: string, dir = 'logs'): Promise<string> => readFile(join(c.stateDir, dir, `${id}.log`), 'utf8').catch(() => '');
  const logShows = (c: ProcessCluster, id: string, re: RegExp): Promise<RegExpExecArray> =>
    until(`${id}'s log to match ${re}`, async () => re.test(await logOf(c, id))).then(async () => re.exec(await logOf(c, id)) as RegExpExecArray);

  it('parses /proc/<pid>/stat with spaces and parentheses in the command name', () => {
    const fields = ['S', '1', '4242', '4243', ...Array<string>(15).fill('0'), '987654', '0'];
    assert.deepEqual(parseStat(`4242 (a (b) c) ${fields.join(' ')}`), { pid: 4242, state: 'S', pgid: 4242, sid: 4243, startTime: 987654 });
    assert.equal(parseStat('garbage'), undefined);
  });

  it('names nodes head-<hex> and <sanitized type>-<hex>, passing --cluster and --node', async () => {
    const c = await cluster();
    const head = await launchOne(c, 'Head Node', 'head');
    const worker = await launchOne(c, 'GPU_x2.large');
    assert.match(head, /^head-[0-9a-f]{6}$/);
    assert.match(worker, /^gpu-x2-large-[0-9a-f]{6}$/);
    const argv = (await readFile(`/proc/${(await c.record(worker)).pid}/cmdline`, 'utf8')).split('\0');
    assert.deepEqual(argv.slice(-5, -1), ['--cluster', c.clusterName, '--node', worker]);
  });

  it('starts each node as its own process group and session, with a private record and log', async () => {
    const c = await cluster();
    const id = await launchOne(c, 'idle');
    const { pid, startTime } = await c.record(id);
    const s = await readStat(pid);
    assert.deepEqual([s?.pgid, s?.sid, s?.startTime], [pid, pid, startTime]);
    for (const dir of ['nodes', 'logs']) assert.equal((await stat(join(c.stateDir, dir))).mode & 0o777, 0o700);
    assert.equal((await stat(join(c.stateDir, 'nodes', `${id}.json`))).mode & 0o777, 0o600);
    assert.equal((await stat(join(c.stateDir, 'logs', `${id}.log`))).mode & 0o777, 0o600);
  });

  it("writes what a node prints to the node's log file", async () => {
    const c = await cluster();
    const id = await launchOne(c, 'hello');
    await logShows(c, id, new RegExp(`hello from --cluster ${c.clusterName} --node ${id}`));
  });

  it('neither lists nor signals a process whose pid was recycled', async () => {
    const c = await cluster({ graceMs: 300 });
    const stranger = await startStranger();
    strangers.push(stranger);
    // The stranger leads its own group, so only the start time tells it from a node that had its pid.
    const rec = { id: 'idle-abcdef', nodeType: 'idle', kind: 'worker', requestId: 'r', pid: stranger.pid, startTime: stranger.startTime - 1, launchedAt: new Date().toISOString(), tags: {} };
    await mkdir(join(c.stateDir, 'nodes'), { recursive: true });
    await writeFile(join(c.stateDir, 'nodes', `${rec.id}.json`), JSON.stringify(rec));
    assert.deepEqual(await c.provider.listNodes(), []);
    await writeFile(join(c.stateDir, 'nodes', `${rec.id}.json`), JSON.stringify(rec));
    await c.provider.terminate([rec.id]);
    assert.equal(await stranger.answers(), true, 'the unrelated process was not signalled');
    assert.deepEqual(await readdir(join(c.stateDir, 'nodes')), []);
  });

  it('terminate also kills the processes a node spawned', async () => {
    const c = await cluster();
    const id = await launchOne(c, 'parent');
    const childPid = Number((await logShows(c, id, /child (\d+)/))[1]);
    const child = await readStat(childPid);
    assert.equal(child?.pgid, (await c.record(id)).pid);
    await c.provider.terminate([id]);
    assert.ok(await exited(childPid, child.startTime), 'the child is gone');
    assert.deepEqual(await c.provider.listNodes(), []);
  });

  it("lists a node whose leader died but whose children live as 'stopping', and terminate kills them", async () => {
    const c = await cluster();
    const id = await launchOne(c, 'parent');
    const childPid = Number((await logShows(c, id, /child (\d+)/))[1]);
    const child = await readStat(childPid);
    assert.ok(child);
    const leader = await c.record(id);
    process.kill(leader.pid, 'SIGKILL'); // the leader only, by pid
    await until('the leader to die', () => exited(leader.pid, leader.startTime));
    assert.deepEqual((await c.provider.listNodes()).map((n) => [n.id, n.status]), [[id, 'stopping']]);
    await c.provider.terminate([id]);
    assert.ok(await exited(childPid, child.startTime), 'the orphaned child is gone');
    assert.deepEqual(await c.provider.listNodes(), []);
  });

  it('SIGKILLs a node that does not stop on SIGTERM once graceMs has passed', async () => {
    const c = await cluster({ graceMs: 300 });
    const id = await launchOne(c, 'idle');
    const { pid, startTime } = await c.record(id);
    // A stopped process cannot act on SIGTERM, which stays pending: it stands for a hung node.
    process.kill(pid, 'SIGSTOP');
    await until('the node to be stopped', async () => (await readStat(pid))?.state === 'T');
    // terminate() runs in this event loop: this 10 ms timer comes due before its first check for the exit (50 ms
    // after SIGTERM), so SIGTERM is seen pending before any SIGKILL, however slowly the machine runs.
    let termFirst = false;
    const poll = setInterval(() => { termFirst ||= pendingSignals(pid).has(15) && !pendingSignals(pid).has(9); }, 10);
    const t0 = performance.now();
    try {
      await c.provider.terminate([id]);
    } finally {
      clearInterval(poll);
    }
    assert.ok(termFirst, 'SIGTERM came first');
    assert.ok(performance.now() - t0 >= 300, 'SIGKILL waited for graceMs');
    assert.ok(await exited(pid, startTime), 'and ended it');
  });

  it('launches a request once even when it is retried concurrently', async () => {
    const c = await cluster();
    const req = { requestId: 'same', nodeType: 'idle', kind: 'worker' as const, count: 2 };
    await Promise.all([c.provider.launch(req), c.provider.launch(req), c.provider.launch(req)]);
    assert.equal((await c.provider.listNodes()).length, 2);
  });

  it('reports a node command that does not exist as a ProviderConfigError with a hint', async () => {
    const c = await cluster({ command: () => ({ file: '/nonexistent/raylaunch-node', args: [], env: {} }) });
    const err = await c.provider.launch({ requestId: 'r', nodeType: 'x', kind: 'worker', count: 1 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ProviderConfigError, String(err));
    assert.ok(err.hint);
    assert.deepEqual(await c.provider.listNodes(), []);
  });

  it('rejects a bad launch count as a ProviderConfigError', async () => {
    const c = await cluster();
    await assert.rejects(c.provider.launch({ requestId: 'r', nodeType: 'x', kind: 'worker', count: -1 }), ProviderConfigError);
    assert.ok(c.provider instanceof ProcessProvider);
  });

  it("moveLogsAside keeps the last run's logs and replaces older ones", async () => {
    const c = await cluster();
    await moveLogsAside(c.stateDir); // nothing yet: a no-op
    const first = await launchOne(c, 'hello');
    await logShows(c, first, /hello/);
    await c.provider.terminate([first]);
    await moveLogsAside(c.stateDir);
    assert.match(await logOf(c, first, 'logs-last-run'), /hello from/);
    await moveLogsAside(c.stateDir); // no logs this time: the last run's stay
    assert.deepEqual(await readdir(join(c.stateDir, 'logs-last-run')), [`${first}.log`]);
    const second = await launchOne(c, 'hello');
    await logShows(c, second, /hello/);
    await c.provider.terminate([second]);
    await moveLogsAside(c.stateDir);
    assert.deepEqual(await readdir(join(c.stateDir, 'logs-last-run')), [`${second}.log`]);
    await assert.rejects(stat(join(c.stateDir, 'logs')), { code: 'ENOENT' });
  });
});
