// Request bodies as the GCP provider sends them (types as partial URLs for insert, names for bulkInsert).
import type { protos } from '@google-cloud/compute';

type IInstance = protos.google.cloud.compute.v1.IInstance;
type IInstanceProperties = protos.google.cloud.compute.v1.IInstanceProperties;
export type IOperation = protos.google.cloud.compute.v1.IOperation;

/** The operation a call answered (the client wraps it in an LRO whose latestResponse is the operation). */
export const opOf = (res: [{ latestResponse: unknown }, ...unknown[]]): IOperation => res[0].latestResponse as IOperation;

export const IMAGE_FAMILY = 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64';

export function instanceBody(name: string, zone: string, over: Partial<IInstance> = {}): IInstance {
  return {
    name,
    machineType: `zones/${zone}/machineTypes/n1-standard-2`,
    disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: IMAGE_FAMILY, diskType: `zones/${zone}/diskTypes/pd-balanced`, diskSizeGb: 50 } }],
    networkInterfaces: [{ network: 'global/networks/default', accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }] }],
    labels: { 'ray-cluster-name': 'c1', 'ray-node-kind': 'worker' },
    metadata: { items: [{ key: 'enable-guest-attributes', value: 'TRUE' }, { key: 'ssh-keys', value: 'ubuntu:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests raylaunch' }] },
    serviceAccounts: [{ email: 'default', scopes: ['https://www.googleapis.com/auth/compute'] }],
    tags: { items: ['ray-c1'] },
    ...over,
  };
}

export function instanceProperties(over: Partial<IInstanceProperties> = {}): IInstanceProperties {
  return {
    machineType: 'n1-standard-2',
    disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: IMAGE_FAMILY, diskType: 'pd-balanced' } }],
    networkInterfaces: [{ network: 'global/networks/default' }],
    labels: { 'ray-cluster-name': 'c1', 'ray-node-kind': 'worker' },
    metadata: { items: [{ key: 'enable-guest-attributes', value: 'TRUE' }] },
    ...over,
  };
}
