import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ProviderConfigError } from '../../../../providers/errors.js';
import { chooseSubnets, newestImage, parseZones } from '../../../../providers/aws/choose.js';
import { toCloudNode } from '../../../../providers/aws/instances.js';
import { fillResources, imageArch, instanceTypeResources } from '../../../../providers/aws/resources.js';
import { partType, USER_DATA_LIMIT, userData } from '../../../../providers/aws/user-data.js';

const KEY = { private: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', public: 'ssh-ed25519 AAAAC3Nz raylaunch' };

describe('UserData: the node\'s host key for cloud-init, the user\'s own kept', () => {
  it('a MIME multi-part archive: the host key as cloud-config ssh_keys, then the user\'s script unchanged', () => {
    const text = userData(KEY, '#!/bin/sh\necho hi\n');
    assert.match(text, /^Content-Type: multipart\/mixed; boundary="(==raylaunch-[0-9a-f]+==)"/);
    const boundary = /boundary="([^"]+)"/.exec(text)?.[1] ?? '';
    const parts = text.split(`--${boundary}`).slice(1, -1);
    assert.equal(parts.length, 2);
    assert.match(parts[0] ?? '', /Content-Type: text\/cloud-config/);
    assert.match(parts[0] ?? '', /ssh_keys:\n {2}ed25519_private: \|\n {4}-----BEGIN OPENSSH PRIVATE KEY-----\n {4}AAAA\n/);
    assert.match(parts[0] ?? '', /ed25519_public: ssh-ed25519 AAAAC3Nz\n/);
    assert.match(parts[1] ?? '', /Content-Type: text\/x-shellscript[^]*\n\n#!\/bin\/sh\necho hi\n/);
  });

  it('without UserData of the user\'s, only the host key part', () => {
    assert.equal(userData(KEY, undefined).split('Content-Disposition').length, 2);
  });

  const TYPES: [string, string][] = [['#!/bin/bash', 'text/x-shellscript'], ['#cloud-config\nruncmd: []', 'text/cloud-config'], ['#include\nhttp://x', 'text/x-include-url'], ['Content-Type: multipart/mixed; boundary="b"\n\n--b', 'multipart/mixed']];
  for (const [text, type] of TYPES) it(`user data beginning ${JSON.stringify(text.split('\n')[0])} is a ${type} part`, () => assert.equal(partType(text), type));

  it('more than EC2\'s 16 KiB is a config error naming the limit', () => {
    assert.throws(() => userData(KEY, `#!/bin/sh\n${'x'.repeat(USER_DATA_LIMIT)}`), (e: unknown) => e instanceof ProviderConfigError && /16384/.test(e.message));
  });
});

describe('resources from the instance type', () => {
  const g4dn = {
    InstanceType: 'g4dn.xlarge' as const, VCpuInfo: { DefaultVCpus: 4 }, MemoryInfo: { SizeInMiB: 16384 },
    GpuInfo: { Gpus: [{ Name: 'T4', Count: 1, Manufacturer: 'NVIDIA' }] }, ProcessorInfo: { SupportedArchitectures: ['x86_64' as const] },
  };
  it('CPU from the vCPUs, GPU and accelerator_type from the GPUs, memory as 70 % of RAM in bytes', () => {
    assert.deepEqual(instanceTypeResources(g4dn), { CPU: 4, GPU: 1, 'accelerator_type:T4': 1, memory: Math.floor(16384 * 1024 * 1024 * 0.7) });
  });
  it('what the config declares wins, key by key (CPU: 0 on a head)', () => {
    assert.deepEqual(fillResources({ CPU: 0 }, { CPU: 4, GPU: 1 }), { CPU: 0, GPU: 1 });
  });
  it('a Graviton type takes arm64 images, the rest amd64', () => {
    assert.equal(imageArch({ ProcessorInfo: { SupportedArchitectures: ['arm64'] } }), 'arm64');
    assert.equal(imageArch(g4dn), 'amd64');
    assert.equal(imageArch(undefined), 'amd64');
  });
});

describe('subnets and images', () => {
  const subnet = (id: string, zone: string, pub = true, vpc = 'vpc-1') => ({ SubnetId: id, AvailabilityZone: zone, MapPublicIpOnLaunch: pub, VpcId: vpc, State: 'available' as const });
  const LISTED = [subnet('s-c', 'us-west-2c'), subnet('s-b', 'us-west-2b'), subnet('s-a', 'us-west-2a'), subnet('s-a2', 'us-west-2a', false)];

  it('subnets in the order of the configured zones, public-IP ones only', () => {
    const c = chooseSubnets('vpc-1', LISTED, parseZones('us-west-2b, us-west-2a'), false);
    assert.deepEqual(c.subnets.map((s) => s.id), ['s-b', 's-a']);
  });
  it('use_internal_ips takes private subnets too', () => {
    assert.deepEqual(chooseSubnets('vpc-1', LISTED, ['us-west-2a'], true).subnets.map((s) => s.id), ['s-a', 's-a2']);
  });
  it('no subnet in the zones: the error names the VPC and the zones it has', () => {
    assert.throws(() => chooseSubnets('vpc-1', LISTED, ['us-west-2d'], false), (e: unknown) => e instanceof ProviderConfigError && /VPC vpc-1/.test(e.message) && /us-west-2a, us-west-2b, us-west-2c/.test(e.message));
  });
  it('no public-IP subnet: the error names the VPC and says how to fix it', () => {
    assert.throws(() => chooseSubnets('vpc-1', [subnet('s-p', 'us-west-2a', false)], [], false), (e: unknown) => e instanceof ProviderConfigError && /vpc-1/.test(e.message) && /use_internal_ips/.test(e.hint ?? ''));
  });
  it('the newest available image by creation date', () => {
    const images = [{ ImageId: 'ami-old', CreationDate: '2024-01-01T00:00:00Z', State: 'available' as const }, { ImageId: 'ami-new', CreationDate: '2025-06-01T00:00:00Z', State: 'available' as const }, { ImageId: 'ami-x', CreationDate: '2026-01-01T00:00:00Z', State: 'pending' as const }];
    assert.equal(newestImage(images, 'us-west-2', 'amd64'), 'ami-new');
    assert.throws(() => newestImage([], 'us-west-2', 'amd64'), ProviderConfigError);
  });
});

describe('instances as nodes', () => {
  const inst = (id: string, state: string, tags: Record<string, string> = { 'raylaunch-cluster-name': 'c', 'raylaunch-node-kind': 'worker', 'raylaunch-node-type': 't', 'raylaunch-request-id': 'r1' }) => ({
    InstanceId: id, State: { Name: state as 'running' }, PrivateIpAddress: '10.0.0.5', PublicIpAddress: '198.51.100.5', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });
  it('a running instance has its addresses; a pending one none yet; a terminated one is no node; stopped ones are marked', () => {
    assert.deepEqual([toCloudNode(inst('i-1', 'running'), false)?.externalIp, toCloudNode(inst('i-1', 'running'), false)?.internalIp], ['198.51.100.5', '10.0.0.5']);
    assert.equal(toCloudNode(inst('i-1', 'running'), true)?.externalIp, undefined, 'use_internal_ips');
    assert.equal(toCloudNode(inst('i-2', 'pending'), false)?.internalIp, undefined);
    assert.equal(toCloudNode(inst('i-3', 'terminated'), false), undefined);
    assert.equal(toCloudNode(inst('i-4', 'stopped'), false)?.status, 'stopped');
    assert.equal(toCloudNode(inst('i-5', 'shutting-down'), false)?.status, 'stopping');
  });
});
