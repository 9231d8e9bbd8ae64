/**
 * A node type's resources from its machine type, as Ray fills them on other clouds: CPU from the vCPUs, memory as
 * 70 % of the RAM in bytes (the rest is Ray's object store share), GPU from the accelerators the machine type
 * comes with (A2, G2) or node_config attaches (N1), and `accelerator_type:<name>` for them. What the config
 * declares wins, key by key. Pure.
 */
import type { Resources } from '../../src/config/types.js';

/** Ray's DEFAULT_OBJECT_STORE_MEMORY_PROPORTION: the part of RAM not offered as `memory`. */
const OBJECT_STORE_SHARE = 0.3;

/** What raylaunch keeps of a machineTypes.get answer. */
export interface MachineTypeInfo {
  guestCpus: number;
  memoryMb: number;
  accelerators: { type: string; count: number }[];
}

/** Ray's accelerator names: `nvidia-tesla-t4` → T4, `nvidia-l4` → L4, `nvidia-a100-80gb` → A100-80GB. */
export function acceleratorName(type: string): string {
  return type.replace(/^nvidia-(tesla-)?/, '').toUpperCase();
}

export function machineResources(info: MachineTypeInfo, attached: readonly { type: string; count: number }[]): Resources {
  const r: Resources = { CPU: info.guestCpus, memory: Math.floor(info.memoryMb * 1024 * 1024 * (1 - OBJECT_STORE_SHARE)) };
  const gpus = [...info.accelerators, ...attached].filter((a) => a.count > 0);
  const count = gpus.reduce((n, a) => n + a.count, 0);
  if (count > 0) r.GPU = count;
  const first = gpus[0];
  if (first) r[`accelerator_type:${acceleratorName(first.type)}`] = 1;
  return r;
}

/**
 * The type's resources: declared ones, then what the machine type adds. The head defaults to CPU 0: it holds the
 * cluster's cloud identity, so tasks do not run beside it unless the config says so.
 */
export function typeResources(declared: Resources, detected: Resources | undefined, isHead: boolean): Resources {
  const own = isHead && declared.CPU === undefined ? { ...declared, CPU: 0 } : declared;
  return { ...(detected ?? {}), ...own };
}
