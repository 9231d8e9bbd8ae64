import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { FakeProvider } from '../../../providers/fake/index.js';
import type { CloudNode } from '../../../providers/provider.js';
import { headFile } from '../../../src/common/node-args.js';
import { configChanges } from '../../../src/config/changes.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { ClusterStartError } from '../../../src/launcher/errors.js';
import { headPollDelayMs } from '../../../src/launcher/up.js';
import { processHeadSteps } from '../../../src/launcher/process-up.js';
import { headNodeId, saveSshHead, sshHeadTarget } from '../../../src/launcher/ssh-head.js';
import { sshHeadSteps } from '../../../src/launcher/ssh-up.js';

const head = (o: Partial<CloudNode> = {}): CloudNode => ({ id: 'head-1', nodeType: 'head', kind: 'head', status: 'running', tags: {}, ...o });

describe('up\'s head steps', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rl-up-steps-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('a process head', () => {
    const config = applyDefaults({ cluster_name: 'p', provider: { type: 'process' } });
    const steps = (lines: string[] = []) => processHeadSteps(config, dir, new FakeProvider(), (l) => lines.push(l));
    const bigger = applyDefaults({ cluster_name: 'p', provider: { type: 'process' }, max_workers: 7 });
    const other = applyDefaults({ cluster_name: 'p', provider: { type: 'process' }, head_node_type: 'h2', available_node_types: { h2: { resources: {} } } });

    it('runs while its provider lists it running', () => {
      assert.deepEqual([steps().running(head()), steps().running(head({ status: 'stopping' })), steps().running(undefined)], [true, false, false]);
    });

    it('is kept as it is when every change is taken live; a restart replaces it, saying why', () => {
      assert.equal(steps().keeps(configChanges(config, bigger)), true);
      assert.equal(steps().keeps(configChanges(config, other)), false);
      assert.equal(steps().keeps(undefined), false, 'nothing runs');
      const lines: string[] = [];
      assert.equal(steps(lines).takeDownFirst(head(), configChanges(config, other)), true);
      assert.match(lines[0] ?? '', /^cluster p is running with another config \(.*head_node_type.*\): restarting it$/);
    });

    it('what a previous run left is cleaned up first; with nothing left, nothing is taken down', () => {
      assert.equal(steps().takeDownFirst(undefined, undefined), false);
      writeFileSync(headFile(dir), '{}');
      const lines: string[] = [];
      assert.equal(steps(lines).takeDownFirst(undefined, undefined), true);
      assert.deepEqual(lines, ['cleaning up after the previous run of p']);
    });
  });

  describe('a head reached over SSH', () => {
    const configWith = (key: string, headIp = '10.0.0.1') => applyDefaults({
      cluster_name: 's', provider: { type: 'local', head_ip: headIp, worker_ips: ['10.0.0.9'] }, auth: { ssh_user: 'u', ssh_private_key: key },
    });
    const statuses: string[] = [];
    const opts = { forceSetup: false, restartOnly: false, onStatus: (node: string, s: string, detail: string) => statuses.push(`${node}: ${s}: ${detail}`) };

    it('a key that cannot be read fails before anything is touched, naming auth.ssh_private_key', () => {
      assert.throws(() => sshHeadSteps(configWith(join(dir, 'missing')), dir, opts), (e: unknown) => e instanceof ClusterStartError && /^auth\.ssh_private_key: cannot read the key file/.test(e.message));
    });

    it('is updated in place: never kept without asking the node, and taken down first only when it moved', () => {
      const key = join(dir, 'key');
      writeFileSync(key, 'k');
      const c = configWith(key);
      const s = sshHeadSteps(c, dir, opts);
      assert.equal(s.keeps(undefined), false);
      const at = (ip: string) => head({ id: ip, internalIp: ip });
      assert.equal(s.takeDownFirst(at('10.0.0.1'), undefined), false, 'nothing was started from here before');
      saveSshHead(dir, sshHeadTarget(c, dir, at('10.0.0.1')));
      writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
      assert.equal(s.takeDownFirst(at('10.0.0.1'), undefined), false, 'the same head');
      statuses.length = 0;
      assert.equal(s.takeDownFirst(at('10.0.0.5'), undefined), true, 'the head moved');
      assert.deepEqual(statuses, ['10.0.0.1: stopping: the head moved to 10.0.0.5: stopping the cluster on 10.0.0.1 first']);
    });

    it('runs once `up` has seen its control plane listen (head.json here)', () => {
      const key = join(dir, 'key');
      writeFileSync(key, 'k');
      const s = sshHeadSteps(configWith(key), dir, opts);
      assert.equal(s.running(undefined), false);
      writeFileSync(headFile(dir), JSON.stringify({ nodeId: 'n', address: 'a', pid: 1, startedAt: 0 }));
      assert.equal(s.running(undefined), true);
    });

    it('logs in at the address the provider gives: the external one when there is one', () => {
      const key = join(dir, 'key');
      writeFileSync(key, 'k');
      const t = sshHeadTarget(configWith(key), dir, head({ internalIp: '10.0.0.1', externalIp: '198.51.100.1' }));
      assert.deepEqual([t.host, t.internalIp, t.user, t.privateKeyPath], ['198.51.100.1', '10.0.0.1', 'u', key]);
    });

    it('names the head by the provider\'s id for it (a cloud instance id, as its workers), not its address', () => {
      const key = join(dir, 'key');
      writeFileSync(key, 'k');
      const t = sshHeadTarget(configWith(key), dir, head({ id: 'i-0abc', internalIp: '10.0.0.1' }));
      assert.equal(headNodeId(t), 'i-0abc');
      assert.equal(headNodeId({ ...t, nodeId: undefined }), '10.0.0.1', 'a head saved before the id was kept goes by its address');
    });
  });
});

describe('up waiting for a booting cloud head', () => {
  it('lists it again a quarter second apart throughout, so up goes on within 250 ms of it running', () => {
    const delays = Array.from({ length: 40 }, (_, i) => headPollDelayMs(i));
    assert.ok(delays.every((d) => d > 0 && d <= 250), delays.join(','));
  });
});
