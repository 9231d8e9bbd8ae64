// What a fresh fake region holds: a default VPC with one public subnet per zone, a few instance types, and
// Canonical's Ubuntu images under their real owner id and name pattern (several dates, so "the latest" matters).
import type { Image, InstanceTypeInfo, Subnet, Vpc, Zone } from './model.js';

export const ACCOUNT_ID = '123456789012';
export const CANONICAL_OWNER = '099720109477';

export const INSTANCE_TYPES: InstanceTypeInfo[] = [
  { name: 't3.micro', vcpus: 2, memoryMiB: 1024, architecture: 'x86_64' },
  { name: 't3.medium', vcpus: 2, memoryMiB: 4096, architecture: 'x86_64' },
  { name: 'm5.large', vcpus: 2, memoryMiB: 8192, architecture: 'x86_64' },
  { name: 'm5.xlarge', vcpus: 4, memoryMiB: 16384, architecture: 'x86_64' },
  { name: 'm5.2xlarge', vcpus: 8, memoryMiB: 32768, architecture: 'x86_64' },
  { name: 'c5.4xlarge', vcpus: 16, memoryMiB: 32768, architecture: 'x86_64' },
  { name: 'm6g.large', vcpus: 2, memoryMiB: 8192, architecture: 'arm64' },
  { name: 'g4dn.xlarge', vcpus: 4, memoryMiB: 16384, architecture: 'x86_64', gpus: { name: 'T4', manufacturer: 'NVIDIA', count: 1, memoryMiB: 15360 } },
  { name: 'p3.8xlarge', vcpus: 32, memoryMiB: 249856, architecture: 'x86_64', gpus: { name: 'V100', manufacturer: 'NVIDIA', count: 4, memoryMiB: 16384 } },
];

export function defaultImages(): Image[] {
  const ubuntu = (id: string, release: string, arch: 'amd64' | 'arm64', date: string): Image => ({
    id,
    name: `ubuntu/images/hvm-ssd-gp3/ubuntu-${release}-${arch}-server-${date}`,
    ownerId: CANONICAL_OWNER,
    architecture: arch === 'amd64' ? 'x86_64' : 'arm64',
    creationDate: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T10:00:00.000Z`,
    state: 'available',
  });
  return [
    ubuntu('ami-0a1b2c3d4e5f60001', 'noble-24.04', 'amd64', '20250610'),
    ubuntu('ami-0a1b2c3d4e5f60002', 'noble-24.04', 'amd64', '20251118'),
    ubuntu('ami-0a1b2c3d4e5f60003', 'noble-24.04', 'arm64', '20251118'),
    ubuntu('ami-0a1b2c3d4e5f60004', 'jammy-22.04', 'amd64', '20251201'),
    { id: 'ami-0a1b2c3d4e5f60005', name: 'al2023-ami-2023.6.20251120.0-kernel-6.1-x86_64', ownerId: '137112412989', ownerAlias: 'amazon', architecture: 'x86_64', creationDate: '2025-11-20T08:00:00.000Z', state: 'available' },
  ];
}

export function defaultNetwork(region: string, zoneLetters = ['a', 'b', 'c']): { zones: Zone[]; vpcs: Vpc[]; subnets: Subnet[] } {
  const zones = zoneLetters.map((l, i) => ({ name: `${region}${l}`, id: `usw2-az${i + 1}` }));
  const vpc: Vpc = { id: 'vpc-0fa4e0000000000d1', cidr: '172.31.0.0/16', isDefault: true };
  const subnets: Subnet[] = zones.map((z, i) => ({
    id: `subnet-0d${String(i + 1).padStart(15, '0')}`,
    vpcId: vpc.id,
    zone: z.name,
    cidr: `172.31.${i * 16}.0/20`,
    defaultForAz: true,
    mapPublicIpOnLaunch: true,
  }));
  return { zones, vpcs: [vpc], subnets };
}
