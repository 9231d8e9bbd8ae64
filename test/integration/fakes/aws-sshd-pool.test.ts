// The fake's instances as real machines: RunInstances boots a test host whose sshd serves the host key from the
// UserData and lets in the key pair's key, with the IMDS endpoint in every SSH session's environment (as an image
// would set it); a terminate ends everything on the host and frees it. And the fault: a host that serves a key of
// its own.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportKeyPairCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { after, before, describe, it } from 'mocha';
import { userData } from '../../../providers/aws/user-data.js';
import { ed25519KeyPair } from '../../../src/common/ed25519.js';
import { FakeAws, SshdHostPool } from '../../fakes/aws/index.js';
import { awsClients, isolateAwsEnv, type AwsClients } from '../../helpers/aws-env.js';
import { createHosts, type TestHostPool } from '../../helpers/hosts/hosts.js';
import { run } from '../../helpers/hosts/system.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

const BRIDGE_IP = '10.200.0.1';

describe('fake AWS: instances on sshd test hosts', function () {
  this.timeout(90_000);
  if (!testHostsOrFail()) return;
  let hosts: TestHostPool;
  let pool: SshdHostPool;
  let fake: FakeAws;
  let aws: AwsClients;
  let restoreEnv: () => void;
  let dir: string;
  const login = ed25519KeyPair();

  const launch = async (hostKey: { private: string; public: string }): Promise<{ id: string; ip: string }> => {
    const booted = once(fake.cloud, 'booted');
    const out = await aws.ec2.send(new RunInstancesCommand({
      ImageId: 'ami-0a1b2c3d4e5f60002', InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, KeyName: 'k',
      UserData: Buffer.from(userData(hostKey, undefined)).toString('base64'),
    }));
    const id = out.Instances?.[0]?.InstanceId ?? '';
    assert.deepEqual(await booted, [id]);
    return { id, ip: out.Instances?.[0]?.PrivateIpAddress ?? '' };
  };
  /** The ed25519 key the host serves, as `ssh-ed25519 AAAA…`. */
  const served = async (ip: string): Promise<string> => {
    const r = await run('ssh-keyscan', ['-t', 'ed25519', '-T', '5', ip]);
    return r.stdout.split('\n').find((l) => l.startsWith(`${ip} `))?.split(' ').slice(1, 3).join(' ') ?? `(none: ${r.stderr})`;
  };
  const ssh = (ip: string, command: string) => run('ssh', [
    '-F', '/dev/null', '-i', join(dir, 'login'), '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', `root@${ip}`, command,
  ], { timeoutMs: 15_000 });

  before(async () => {
    restoreEnv = isolateAwsEnv();
    dir = mkdtempSync(join(tmpdir(), 'rl-sshd-pool-'));
    writeFileSync(join(dir, 'login'), login.private, { mode: 0o600 });
    hosts = await createHosts(1, { halted: true });
    pool = new SshdHostPool(hosts, hosts.hosts);
    fake = await FakeAws.start({ host: BRIDGE_IP, pool });
    aws = awsClients(fake);
    await aws.ec2.send(new ImportKeyPairCommand({ KeyName: 'k', PublicKeyMaterial: Buffer.from(login.public) }));
  });
  after(async () => {
    aws?.destroy();
    await fake?.close();
    await hosts?.remove();
    restoreEnv?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a halted host answers nothing until an instance boots on it', async () => {
    const [h] = hosts.hosts;
    assert.ok(h);
    assert.deepEqual((await run('ip', ['netns', 'pids', h.ns])).stdout.trim(), '');
    assert.equal(pool.free(), 1);
  });

  it('a launched instance serves the host key from its UserData, lets the key pair in, and gives sessions the IMDS endpoint', async () => {
    const key = ed25519KeyPair();
    const { id, ip } = await launch(key);
    const pub = key.public.trim().split(/\s+/).slice(0, 2).join(' ');
    assert.equal(await served(ip), pub);
    writeFileSync(join(dir, 'known_hosts'), `${ip} ${pub}\n`);
    const r = await ssh(ip, 'echo "$AWS_EC2_METADATA_SERVICE_ENDPOINT"; nohup sleep 600 >/dev/null 2>&1 &');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), fake.imdsEndpoint);
    assert.equal(pool.free(), 0);

    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await fake.idle();
    const [h] = hosts.hosts;
    assert.equal((await run('ip', ['netns', 'pids', h?.ns ?? ''])).stdout.trim(), '', 'nothing runs on a terminated instance\'s host');
    assert.equal(pool.free(), 1);
  });

  it('the next instance on the same host starts from a fresh disk', async () => {
    const key = ed25519KeyPair();
    const { id, ip } = await launch(key);
    writeFileSync(join(dir, 'known_hosts'), `${ip} ${key.public.trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    const r = await ssh(ip, 'touch ~/mark; ls -A ~ /tmp');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split(/\s+/).filter((l) => l !== '' && !l.endsWith(':')).sort(), ['.ssh', 'mark']);
    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await fake.idle();
  });

  it('a host told to ignore its UserData serves another host key than the one handed in', async () => {
    pool.wrongHostKeys = 1;
    const key = ed25519KeyPair();
    const { id, ip } = await launch(key);
    const got = await served(ip);
    assert.match(got, /^ssh-ed25519 /);
    assert.notEqual(got, key.public.trim().split(/\s+/).slice(0, 2).join(' '));
    assert.equal(pool.wrongHostKeys, 0, 'one boot only');
    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await fake.idle();
  });
});
