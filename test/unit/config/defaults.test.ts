import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { valid } from '../../helpers/config.js';

describe('config defaults (Ray\'s prepare_config semantics)', () => {
  it('a bare process provider gets the default node types and Ray\'s numbers', async () => {
    const { config: c } = await valid('provider: {type: process}\n');
    assert.equal(c.cluster_name, 'default');
    assert.equal(c.max_workers, 2);
    assert.equal(c.upscaling_speed, 1);
    assert.equal(c.idle_timeout_minutes, 5);
    assert.equal(c.head_node_type, 'ray.head.default');
    assert.deepEqual(Object.keys(c.available_node_types), ['ray.head.default', 'ray.worker.default']);
    assert.equal(c.available_node_types['ray.head.default']?.max_workers, 0);
    assert.equal(c.available_node_types['ray.worker.default']?.max_workers, 2);
    assert.equal(c.raylaunch.control_plane_port, 0);
  });

  it('setup_commands are prepended to head and worker setup', async () => {
    const { config: c } = await valid('provider: {type: process}\nsetup_commands: [a]\nhead_setup_commands: [h]\nworker_setup_commands: [w]\n');
    assert.deepEqual(c.head_setup_commands, ['a', 'h']);
    assert.deepEqual(c.worker_setup_commands, ['a', 'w']);
  });

  it('a type\'s max_workers defaults to the global max, and to 0 for the head type', async () => {
    const { config: c } = await valid('provider: {type: process}\nmax_workers: 7\navailable_node_types:\n  h: {resources: {CPU: 1}}\n  w: {resources: {CPU: 1}}\nhead_node_type: h\n');
    assert.equal(c.available_node_types.h?.max_workers, 0);
    assert.equal(c.available_node_types.w?.max_workers, 7);
    assert.equal(c.available_node_types.w?.min_workers, 0);
  });

  it('node types given in the file replace the default types whole (shallow merge)', async () => {
    const { config: c } = await valid('provider: {type: aws, region: eu-west-1}\navailable_node_types:\n  h: {resources: {}, node_config: {InstanceType: t3.large}}\nhead_node_type: h\n');
    assert.deepEqual(Object.keys(c.available_node_types), ['h']);
  });

  it('aws gets ssh_user ubuntu, Ray\'s code defaults for the provider, and cache_stopped_nodes false (Ray: true)', async () => {
    const { config: c } = await valid('provider: {type: aws, region: eu-west-1}\n');
    assert.equal(c.auth.ssh_user, 'ubuntu');
    assert.equal(c.provider.type === 'aws' && c.provider.cache_stopped_nodes, false);
    assert.equal(c.raylaunch.control_plane_port, 6380);
  });

  it('an auth block without ssh_user keeps the cloud default user', async () => {
    const { config: c } = await valid('provider: {type: aws, region: eu-west-1}\nauth: {ssh_proxy_command: "nc -x p:1 %h %p"}\n');
    assert.equal(c.auth.ssh_user, 'ubuntu');
  });

  it('Ray\'s local shape implies one node type with every host', async () => {
    const { config: c } = await valid('provider: {type: local, head_ip: h0, worker_ips: [h1, h2, h3]}\nauth: {ssh_user: me}\n');
    assert.equal(c.head_node_type, 'local.cluster.node');
    assert.deepEqual(c.available_node_types['local.cluster.node'], { resources: {}, node_config: {}, min_workers: 3, max_workers: 3 });
    assert.equal(c.max_workers, 3);
  });

  it('Ray\'s local shape takes top-level min_workers and caps both at the pool', async () => {
    const r = await valid('provider: {type: local, head_ip: h0, worker_ips: [h1, h2]}\nauth: {ssh_user: me}\nmin_workers: 1\nmax_workers: 5\n');
    const t = r.config.available_node_types['local.cluster.node'];
    assert.deepEqual([t?.min_workers, t?.max_workers], [1, 2]);
    assert.deepEqual(r.warnings.map((w) => w.message), ['max_workers (5) is more than the 2 hosts in provider.worker_ips; using 2']);
  });

  it('ray start/stop lines leave the start commands; other lines stay in order', async () => {
    const { config: c } = await valid('provider: {type: process}\nworker_start_ray_commands: [export A=1, ray stop, "ray start --address=$RAY_HEAD_IP:6379", echo done]\n');
    assert.deepEqual(c.worker_start_ray_commands, ['export A=1', 'echo done']);
  });

  it('raylaunch settings default and can be overridden one by one', async () => {
    const { config: c } = await valid('provider: {type: process}\nraylaunch: {heartbeat_timeout_s: 2}\n');
    assert.deepEqual(c.raylaunch, {
      control_plane_port: 0, heartbeat_timeout_s: 2, autoscaler_interval_s: 1, node_start_timeout_s: 300, inline_object_limit: 102400,
      demand_batch_ms: 300, max_concurrent_launches: 10, max_connections: 1024, max_message_mb: 256, max_upload_mb: 100, max_upload_files: 50_000,
    });
  });
});
