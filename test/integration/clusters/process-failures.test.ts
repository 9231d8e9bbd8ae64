import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('node failures on the process provider (end to end)', function () {
  this.timeout(120_000);
  const name = `fail${process.pid}`;
  // The default heartbeat timeout (5 s): a shorter one would declare a node that is only slow on a busy machine dead.
  // Agents wait head_reconnect_timeout_s for a head that went: 3 s here, so the last test sees them leave.
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 2, extra: 'raylaunch: {head_reconnect_timeout_s: 3}' }));
  const status = (): Promise<StatusJson> => cluster.status();

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  it('a killed worker node is replaced to keep min_workers', async () => {
    const victim = cluster.nodeRecords().find((r) => r.kind === 'worker');
    assert.ok(victim);
    process.kill(victim.pid, 'SIGKILL');
    const replaced = await until('a replacement worker', 60_000, async () => {
      const s = await status();
      const workers = s.nodes.filter((n) => n.kind === 'worker');
      return workers.filter((n) => n.state === 'ALIVE').length === 2 && workers.some((n) => n.node_id === victim.id && n.state === 'DEAD') ? s : undefined;
    });
    assert.ok(replaced.nodes.some((n) => n.node_id !== victim.id && n.kind === 'worker' && n.state === 'ALIVE'));
  });

  it('agents exit by themselves once the head is gone past head_reconnect_timeout_s, and down cleans up', async () => {
    const head = cluster.nodeRecords().find((r) => r.kind === 'head');
    // The live workers' agents, by the head's account: the killed node's record may linger while its process group ends.
    const live = new Set((await status()).nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE').map((n) => n.node_id));
    const agents = cluster.nodeRecords().filter((r) => r.kind === 'worker' && live.has(r.id)).map((r) => r.pid);
    assert.ok(head && agents.length === 2, `head ${head?.pid}, agents ${agents.join(', ')}`);
    // The whole head node: its supervisor (the record's pid) leads the group of the head service and its agent.
    process.kill(-head.pid, 'SIGKILL');
    await until('the agents to exit', 60_000, () => (agents.every((pid) => !alive(pid)) ? true : undefined));
    const down = await cluster.cli(['down', '-c', name]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(cluster.processes(), []);
  });
});
