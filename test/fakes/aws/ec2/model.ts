import type { HostLease } from '../host-pool.js';
import type { InstanceStateName, StateChange } from './lifecycle.js';

export type Tags = Map<string, string>;

export interface InstanceTypeInfo {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus?: { name: string; manufacturer: string; count: number; memoryMiB: number };
  architecture: 'x86_64' | 'arm64';
}

export interface Image {
  id: string;
  name: string;
  ownerId: string;
  ownerAlias?: string;
  architecture: 'x86_64' | 'arm64';
  creationDate: string;
  state: 'available' | 'deprecated';
}

export interface Zone {
  name: string;
  id: string;
}

export interface Vpc {
  id: string;
  cidr: string;
  isDefault: boolean;
}

export interface Subnet {
  id: string;
  vpcId: string;
  zone: string;
  cidr: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
}

export interface Rule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: { cidr: string; description?: string }[];
  groups: { groupId: string; description?: string }[];
}

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  ingress: Rule[];
  egress: Rule[];
}

export interface KeyPair {
  id: string;
  name: string;
  /** the OpenSSH public key line as imported */
  publicKey: string;
  fingerprint: string;
  type: string;
  created: number;
}

export interface SpotNotice {
  action: 'terminate' | 'stop' | 'hibernate';
  at: number;
}

export interface Instance {
  id: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  zone: string;
  subnetId: string;
  vpcId: string;
  groupIds: string[];
  keyName?: string;
  /** base64, exactly as RunInstances received it */
  userData?: string;
  clientToken?: string;
  spot: boolean;
  profileName?: string;
  launchIndex: number;
  launchTime: number;
  state: InstanceStateName;
  stateReason?: { code: string; message: string };
  history: StateChange[];
  /** the next automatic move and when */
  due?: { at: number; to: InstanceStateName; reason: string };
  /** the pool host it runs on, while pending/running/stopping/shutting-down */
  lease?: HostLease;
  /** its private address, kept from the last host while stopped */
  privateIp?: string;
  /** DescribeInstances calls it still stays unlisted in (eventual consistency) */
  hiddenFor: number;
  spotNotice?: SpotNotice;
}

export interface Reservation {
  id: string;
  ownerId: string;
  instanceIds: string[];
  /** what the call asked for, to refuse the same ClientToken with other parameters */
  fingerprint: string;
}
