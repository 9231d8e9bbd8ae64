import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { canonicalJson, launchHash, runtimeHash } from '../../../src/config/hash.js';
import { valid } from '../../helpers/config.js';

const base = `provider: {type: aws, region: us-west-2}
auth: {ssh_user: ubuntu}
available_node_types:
  h: {resources: {}, node_config: {InstanceType: m5.large, ImageId: ami-1}}
  w: {resources: {}, node_config: {InstanceType: m5.large, ImageId: ami-1}, max_workers: 2}
head_node_type: h
setup_commands: [echo hi]
`;

describe('config hashes', () => {
  it('canonical JSON sorts keys at every level', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } }), '{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('the launch hash ignores key order', async () => {
    const a = (await valid(base)).config;
    const b = (await valid(base.replace('{InstanceType: m5.large, ImageId: ami-1}, max', '{ImageId: ami-1, InstanceType: m5.large}, max'))).config;
    assert.equal(launchHash(a, 'w'), launchHash(b, 'w'));
  });

  it('the launch hash changes with node_config and ssh_user', async () => {
    const a = (await valid(base)).config;
    const bigger = (await valid(base.replace('m5.large, ImageId: ami-1}, max', 'm5.xlarge, ImageId: ami-1}, max'))).config;
    const user = (await valid(base.replace('ssh_user: ubuntu', 'ssh_user: ec2-user'))).config;
    assert.notEqual(launchHash(a, 'w'), launchHash(bigger, 'w'));
    assert.notEqual(launchHash(a, 'w'), launchHash(user, 'w'));
    assert.equal(launchHash(a, 'h'), launchHash(bigger, 'h'));
  });

  it('the launch hash leaves out key material', async () => {
    const a = (await valid(base)).config;
    const keyed = (await valid(base.replace('ssh_user: ubuntu', 'ssh_user: ubuntu, ssh_private_key: ~/.ssh/other.pem'))).config;
    assert.equal(launchHash(a, 'w'), launchHash(keyed, 'w'));
  });

  it('the runtime hash changes with setup commands and file-mount mapping, not with unrelated keys', async () => {
    const a = (await valid(base)).config;
    const setup = (await valid(base.replace('[echo hi]', '[echo bye]'))).config;
    const mounts = (await valid(`${base}file_mounts: {/remote: ./local}\n`)).config;
    const idle = (await valid(`${base}idle_timeout_minutes: 9\n`)).config;
    assert.notEqual(runtimeHash(a), runtimeHash(setup));
    assert.notEqual(runtimeHash(a), runtimeHash(mounts));
    assert.equal(runtimeHash(a), runtimeHash(idle));
  });
});
