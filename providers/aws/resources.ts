/**
 * A node type's resources from its instance type, as Ray's AWS provider fills them: CPU from the default vCPU
 * count, GPU and `accelerator_type:<name>` from the GPUs, memory as 70 % of the RAM in bytes (the rest is
 * Ray's object store share). What the config declares wins, key by key. Pure.
 */
import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import type { Resources } from '../../src/config/types.js';

/** Ray's DEFAULT_OBJECT_STORE_MEMORY_PROPORTION: the part of RAM not offered as `memory`. */
const OBJECT_STORE_SHARE = 0.3;

export function instanceTypeResources(info: InstanceTypeInfo): Resources {
  const r: Resources = {};
  const cpus = info.VCpuInfo?.DefaultVCpus;
  if (cpus !== undefined) r.CPU = cpus;
  const gpus = info.GpuInfo?.Gpus ?? [];
  const gpuCount = gpus.reduce((n, g) => n + (g.Count ?? 0), 0);
  if (gpuCount > 0) r.GPU = gpuCount;
  const name = gpus[0]?.Name;
  if (gpuCount > 0 && name) r[`accelerator_type:${name}`] = 1;
  const mib = info.MemoryInfo?.SizeInMiB;
  if (mib !== undefined) r.memory = Math.floor(mib * 1024 * 1024 * (1 - OBJECT_STORE_SHARE));
  return r;
}

/** The declared resources, with what the instance type adds for keys the config leaves out. */
export function fillResources(declared: Resources, detected: Resources | undefined): Resources {
  return { ...(detected ?? {}), ...declared };
}

/** The instance type's CPU architecture as Ubuntu's image names spell it. */
export function imageArch(info: InstanceTypeInfo | undefined): 'amd64' | 'arm64' {
  return info?.ProcessorInfo?.SupportedArchitectures?.includes('arm64') && !info.ProcessorInfo.SupportedArchitectures.includes('x86_64') ? 'arm64' : 'amd64';
}
