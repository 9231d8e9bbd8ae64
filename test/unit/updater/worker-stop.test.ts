// A worker host the head's autoscaler hands back to the pool keeps none of the jobs' code or working folders
// (the host outlives the node; the next cluster on it, or its owner, has no business with them). Its logs stay.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { workerSetup } from '../../../src/updater/ssh/setup.js';
import type { CommandRunner } from '../../../src/updater/runner.js';

describe('a worker host handed back to the pool', () => {
  it('keeps no job\'s code or working folder, and keeps its logs', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rl-wstop-'));
    const node = join(home, '.raylaunch/clusters/c/node-data/10.0.0.5');
    try {
      for (const f of ['jobs/job-1/job.mjs', 'jobs/job-1/working_dir/data.txt', 'logs/worker-job-1.log']) {
        mkdirSync(join(node, f, '..'), { recursive: true });
        writeFileSync(join(node, f), 'x');
      }
      // The host's shell: the stop line runs in a home like the host's.
      const runner: CommandRunner = {
        host: '10.0.0.5',
        run: (cmd) => Promise.resolve({ code: 0, stdout: execFileSync('sh', ['-c', cmd], { env: { HOME: home, PATH: process.env.PATH ?? '' } }).toString(), stderr: '' }),
        writeFile: () => Promise.reject(new Error('unused')), forward: () => Promise.reject(new Error('unused')), close: () => Promise.resolve(),
      };
      const setup = workerSetup({
        config: applyDefaults({ cluster_name: 'c', provider: { type: 'local', head_ip: '10.0.0.1', worker_ips: ['10.0.0.5'] }, auth: { ssh_user: 'u' } }),
        stateDir: home, runners: { runner: () => runner }, target: (ip) => ({ host: ip, user: 'u', privateKeyPath: '/k', knownHostsPath: '/kh' }),
        runtime: { dir: home, version: '0', hash: 'h' }, headAddress: () => '10.0.0.1:1', credential: () => 'rln_t',
      });
      await setup.stop({ id: '10.0.0.5', nodeType: 'w', kind: 'worker', status: 'running', internalIp: '10.0.0.5', tags: {} });
      assert.equal(existsSync(join(node, 'jobs')), false);
      assert.equal(existsSync(join(node, 'logs/worker-job-1.log')), true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
