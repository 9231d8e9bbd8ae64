// The fake's resources and how each is rendered on the wire (Compute's JSON: int64 as strings, links as full
// URLs on www.googleapis.com, as GCE writes them whatever endpoint was called).
import type { HostLease } from './host-pool.js';
import type { OperationError } from './errors.js';

export const API_BASE = 'https://www.googleapis.com/compute/v1/';

export type InstanceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED' | 'SUSPENDING' | 'SUSPENDED';

export interface Scheduling {
  provisioningModel: 'STANDARD' | 'SPOT';
  preemptible: boolean;
  automaticRestart: boolean;
  onHostMaintenance: 'MIGRATE' | 'TERMINATE';
  instanceTerminationAction?: 'STOP' | 'DELETE';
}

/** What an instance keeps of its insert request, as validate.ts normalised it. */
export interface InstanceRequest {
  labels: Record<string, string>;
  metadata: { key: string; value: string }[];
  tags: string[];
  scheduling: Scheduling;
  serviceAccounts: { email: string; scopes: string[] }[];
  /** the request's disks, as normalised (diskType and sourceImage as URLs) */
  disks: Record<string, unknown>[];
  guestAccelerators: { acceleratorType: string; acceleratorCount: number }[];
  network: string;
  subnetwork?: string;
  /** whether the request asked for an external address (an access config) */
  external: boolean;
  description?: string;
  hostname?: string;
}

export interface Instance extends InstanceRequest {
  id: string;
  name: string;
  zone: string;
  machineType: string;
  status: InstanceStatus;
  /** the next automatic move and when it is due (boot, stop, suspend, delete) */
  due?: { at: number; to: InstanceStatus | 'DELETED' };
  /** when STOPPING ends: TERMINATED (stop, preemption with STOP) or gone (delete, preemption with DELETE) */
  stoppingTo?: 'TERMINATED' | 'DELETED';
  created: number;
  lastStart?: number;
  lastStop?: number;
  labelFingerprint: string;
  metadataFingerprint: string;
  lease?: HostLease;
  /** the address it keeps while stopped (GCE keeps an ephemeral internal IP until deletion) */
  networkIP?: string;
  preempted: boolean;
  guestAttributes: Map<string, string>;
  /** list/aggregatedList calls it still stays out of (faults.listLag) */
  listHiddenFor: number;
}

export type OperationStatus = 'PENDING' | 'RUNNING' | 'DONE';

export interface Operation {
  id: string;
  name: string;
  /** zone operations name their zone; global ones have none */
  zone?: string;
  operationType: string;
  targetLink: string;
  targetId?: string;
  status: OperationStatus;
  user: string;
  insertTime: number;
  startTime?: number;
  endTime?: number;
  /** when it leaves PENDING for RUNNING */
  startAt: number;
  /** when it is DONE */
  doneAt: number;
  error?: OperationError;
  requestId?: string;
  /** instances.bulkInsert's per-zone counts */
  bulk?: { zone: string; targetVmCount: number; createdVmCount: number; failedToCreateVmCount: number };
}

export interface Firewall {
  id: string;
  name: string;
  network: string;
  direction: 'INGRESS' | 'EGRESS';
  priority: number;
  sourceRanges: string[];
  sourceTags: string[];
  targetTags: string[];
  allowed: { IPProtocol: string; ports?: string[] }[];
  denied: { IPProtocol: string; ports?: string[] }[];
  description?: string;
  created: number;
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '-00:00');

export function zoneUrl(project: string, zone: string): string {
  return `${API_BASE}projects/${project}/zones/${zone}`;
}

export function renderInstance(project: string, i: Instance): Record<string, unknown> {
  const zone = zoneUrl(project, i.zone);
  const running = i.status === 'RUNNING' || i.status === 'STOPPING' || i.status === 'SUSPENDING';
  const ip = i.lease?.privateIp ?? i.networkIP;
  return {
    kind: 'compute#instance',
    id: i.id,
    creationTimestamp: iso(i.created),
    name: i.name,
    ...(i.description === undefined ? {} : { description: i.description }),
    tags: { items: i.tags, fingerprint: 'tags000000=' },
    machineType: `${zone}/machineTypes/${i.machineType}`,
    status: i.status,
    zone,
    canIpForward: false,
    networkInterfaces: [{
      kind: 'compute#networkInterface',
      network: i.network,
      ...(i.subnetwork === undefined ? {} : { subnetwork: i.subnetwork }),
      ...(ip === undefined ? {} : { networkIP: ip }),
      name: 'nic0',
      fingerprint: 'nic0000000=',
      stackType: 'IPV4_ONLY',
      ...(i.external ? {
        accessConfigs: [{
          kind: 'compute#accessConfig', type: 'ONE_TO_ONE_NAT', name: 'External NAT', networkTier: 'PREMIUM',
          ...(running && i.lease !== undefined ? { natIP: i.lease.publicIp } : {}),
        }],
      } : {}),
    }],
    disks: i.disks.map((d, n) => ({
      kind: 'compute#attachedDisk', type: 'PERSISTENT', mode: 'READ_WRITE', index: n, boot: d.boot === true,
      autoDelete: d.autoDelete !== false, deviceName: `persistent-disk-${n}`, interface: 'SCSI',
      source: `${zone}/disks/${n === 0 ? i.name : `${i.name}-${n}`}`, diskSizeGb: String((d.initializeParams as { diskSizeGb?: string } | undefined)?.diskSizeGb ?? '10'),
    })),
    metadata: { kind: 'compute#metadata', fingerprint: i.metadataFingerprint, items: i.metadata },
    serviceAccounts: i.serviceAccounts,
    selfLink: `${zone}/instances/${i.name}`,
    scheduling: i.scheduling,
    cpuPlatform: 'Intel Cascade Lake',
    labels: i.labels,
    labelFingerprint: i.labelFingerprint,
    startRestricted: false,
    deletionProtection: false,
    fingerprint: 'inst000000=',
    ...(i.guestAccelerators.length > 0 ? { guestAccelerators: i.guestAccelerators.map((g) => ({ acceleratorType: `${zone}/acceleratorTypes/${g.acceleratorType}`, acceleratorCount: g.acceleratorCount })) } : {}),
    ...(i.lastStart === undefined ? {} : { lastStartTimestamp: iso(i.lastStart) }),
    ...(i.lastStop === undefined ? {} : { lastStopTimestamp: iso(i.lastStop) }),
    ...(i.hostname === undefined ? {} : { hostname: i.hostname }),
  };
}

export function renderOperation(project: string, op: Operation): Record<string, unknown> {
  const scope = op.zone === undefined ? `${API_BASE}projects/${project}/global` : zoneUrl(project, op.zone);
  return {
    kind: 'compute#operation',
    id: op.id,
    name: op.name,
    ...(op.zone === undefined ? {} : { zone: zoneUrl(project, op.zone) }),
    operationType: op.operationType,
    targetLink: op.targetLink,
    ...(op.targetId === undefined ? {} : { targetId: op.targetId }),
    status: op.status,
    user: op.user,
    progress: op.status === 'DONE' ? 100 : 0,
    insertTime: iso(op.insertTime),
    ...(op.startTime === undefined ? {} : { startTime: iso(op.startTime) }),
    ...(op.endTime === undefined ? {} : { endTime: iso(op.endTime) }),
    selfLink: `${scope}/operations/${op.name}`,
    ...(op.status === 'DONE' && op.error !== undefined ? {
      error: { errors: [{ code: op.error.code, message: op.error.message, ...(op.error.errorDetails === undefined ? {} : { errorDetails: op.error.errorDetails }) }] },
      httpErrorStatusCode: op.error.httpStatus,
      httpErrorMessage: op.error.httpStatus === 403 ? 'FORBIDDEN' : op.error.httpStatus === 503 ? 'SERVICE UNAVAILABLE' : 'ERROR',
    } : {}),
    ...(op.bulk === undefined ? {} : {
      instancesBulkInsertOperationMetadata: {
        perLocationStatus: {
          [`zones/${op.bulk.zone}`]: {
            targetVmCount: op.bulk.targetVmCount, createdVmCount: op.status === 'DONE' ? op.bulk.createdVmCount : 0,
            failedToCreateVmCount: op.bulk.failedToCreateVmCount, deletedVmCount: 0,
            status: op.status !== 'DONE' ? 'CREATING' : op.error === undefined ? 'DONE' : 'ROLLBACK_DONE',
          },
        },
      },
    }),
  };
}

export function renderFirewall(project: string, f: Firewall): Record<string, unknown> {
  return {
    kind: 'compute#firewall', id: f.id, creationTimestamp: iso(f.created), name: f.name,
    ...(f.description === undefined ? {} : { description: f.description }),
    network: f.network, priority: f.priority, direction: f.direction, disabled: false,
    ...(f.sourceRanges.length > 0 ? { sourceRanges: f.sourceRanges } : {}),
    ...(f.sourceTags.length > 0 ? { sourceTags: f.sourceTags } : {}),
    ...(f.targetTags.length > 0 ? { targetTags: f.targetTags } : {}),
    ...(f.allowed.length > 0 ? { allowed: f.allowed } : {}),
    ...(f.denied.length > 0 ? { denied: f.denied } : {}),
    logConfig: { enable: false },
    selfLink: `${API_BASE}projects/${project}/global/firewalls/${f.name}`,
  };
}
