// A launcher of the process provider killed mid-launch (the head service, on a process cluster) leaves a record
// written before the node's process: the next listNodes adopts the node when its process runs (killed between the
// start and the pid's record) or reaps the record when none does (killed between the record and the start); while
// the launcher lives, the node is listed as pending and left alone. Either way terminate leaves no process.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'mocha';
import { readStat } from '../../../providers/process/proc.js';
import { exited, processCluster, until, type ProcessCluster } from './process-fixture.js';

const LAUNCHER = new URL('./process-launcher.ts', import.meta.url).pathname;

describe('process provider: a launcher killed mid-launch', () => {
  const clusters: ProcessCluster[] = [];
  const launchers: ChildProcess[] = [];
  afterEach(async () => {
    for (const l of launchers.splice(0)) if (l.exitCode === null && l.signalCode === null) l.kill('SIGKILL');
    for (const c of clusters.splice(0)) await c.cleanup();
  });

  /** Starts a launcher held at `point`; resolves with the node id once it is there. */
  const heldLaunch = async (c: ProcessCluster, point: 'recorded' | 'started') => {
    const hold = mkdtempSync(join(c.root, 'hold-'));
    writeFileSync(join(hold, `hold-${point}`), '');
    const launcher = spawn(process.execPath, ['--import', 'tsx', LAUNCHER, c.stateDir, c.clusterName, join(c.root, 'idle.mjs')], {
      env: { ...process.env, RAYLAUNCH_TEST_LAUNCH_HOLD: hold }, stdio: 'ignore',
    });
    launchers.push(launcher);
    const exit = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
    let id = '';
    await until(`the launcher to be held at ${point}`, () => {
      id = readdirSync(hold).find((f) => f.startsWith(`at-${point}-`))?.slice(`at-${point}-`.length) ?? '';
      return Promise.resolve(id !== '');
    });
    return { id, kill: async () => { launcher.kill('SIGKILL'); await exit; } };
  };
  const recordOf = (c: ProcessCluster, id: string) => {
    const file = join(c.stateDir, 'nodes', `${id}.json`);
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as { state?: string; pid?: number; startTime?: number } : undefined;
  };

  it('lists the node of a live launcher as pending and leaves it alone', async () => {
    const c = await processCluster();
    clusters.push(c);
    const held = await heldLaunch(c, 'started');
    assert.deepEqual((await c.provider.listNodes()).map((n) => [n.id, n.status, n.requestId]), [[held.id, 'pending', 'r-held']]);
    assert.equal(recordOf(c, held.id)?.state, 'starting');
    await held.kill();
  });

  it('adopts a node whose launcher died between its start and its pid: listed running with its pid, terminated by it', async () => {
    const c = await processCluster();
    clusters.push(c);
    const held = await heldLaunch(c, 'started');
    await held.kill();
    const nodes = await c.provider.listNodes();
    assert.deepEqual(nodes.map((n) => [n.id, n.status, n.requestId]), [[held.id, 'running', 'r-held']]);
    const rec = recordOf(c, held.id);
    assert.equal(rec?.state, undefined);
    assert.ok(rec?.pid !== undefined && rec.startTime !== undefined);
    const s = await readStat(rec.pid);
    assert.deepEqual([s?.sid, s?.startTime], [rec.pid, rec.startTime], 'the record names the node\'s process');
    assert.ok(readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').includes(held.id));
    await c.provider.terminate([held.id]);
    assert.ok(await exited(rec.pid, rec.startTime), 'terminate left no process');
    assert.deepEqual(await c.provider.listNodes(), []);
  });

  it('reaps the record of a node whose launcher died between the record and the start: nothing listed, nothing runs', async () => {
    const c = await processCluster();
    clusters.push(c);
    const held = await heldLaunch(c, 'recorded');
    assert.equal(recordOf(c, held.id)?.state, 'starting');
    await held.kill();
    assert.deepEqual(await c.provider.listNodes(), []);
    assert.equal(recordOf(c, held.id), undefined);
  });

  it('terminates a starting node by its nonce, its launcher alive or not', async () => {
    const c = await processCluster();
    clusters.push(c);
    const held = await heldLaunch(c, 'started');
    const log = join(c.stateDir, 'logs', `${held.id}.log`);
    assert.ok(existsSync(log));
    const procs = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(held.id);
      } catch {
        return false;
      }
    });
    assert.equal(procs.length, 1, 'its process runs');
    const pid = Number(procs[0]);
    const startTime = (await readStat(pid))?.startTime ?? 0;
    await c.provider.terminate([held.id]);
    assert.ok(await exited(pid, startTime), 'terminate stopped it');
    assert.equal(recordOf(c, held.id), undefined);
    await held.kill();
  });
});
