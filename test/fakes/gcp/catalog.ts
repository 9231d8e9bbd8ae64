// The fixed part of the fake cloud: regions and zones, machine types, accelerator and disk types, and the public
// image families. Numbers follow the public machine-type tables; only what raylaunch's configs use is listed.

export const REGIONS: Record<string, string[]> = {
  'us-central1': ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'],
  'us-west1': ['us-west1-a', 'us-west1-b', 'us-west1-c'],
  'europe-west4': ['europe-west4-a', 'europe-west4-b', 'europe-west4-c'],
};

export function regionOf(zone: string): string | undefined {
  return Object.keys(REGIONS).find((r) => REGIONS[r]?.includes(zone));
}

export interface MachineTypeInfo {
  name: string;
  guestCpus: number;
  memoryMb: number;
  isSharedCpu?: boolean;
  accelerators?: { guestAcceleratorType: string; guestAcceleratorCount: number }[];
}

const std = (family: string, cpus: number[], mbPerCpu: number): MachineTypeInfo[] =>
  cpus.map((c) => ({ name: `${family}-${c}`, guestCpus: c, memoryMb: c * mbPerCpu }));

export const MACHINE_TYPES: MachineTypeInfo[] = [
  { name: 'e2-micro', guestCpus: 2, memoryMb: 1024, isSharedCpu: true },
  { name: 'e2-small', guestCpus: 2, memoryMb: 2048, isSharedCpu: true },
  { name: 'e2-medium', guestCpus: 2, memoryMb: 4096, isSharedCpu: true },
  ...std('e2-standard', [2, 4, 8, 16, 32], 4096),
  ...std('n1-standard', [1, 2, 4, 8, 16, 32, 64, 96], 3840),
  ...std('n2-standard', [2, 4, 8, 16, 32, 48, 64, 80, 96, 128], 4096),
  ...std('n2-highmem', [2, 4, 8, 16, 32, 48, 64, 80, 96, 128], 8192),
  { name: 'a2-highgpu-1g', guestCpus: 12, memoryMb: 87040, accelerators: [{ guestAcceleratorType: 'nvidia-tesla-a100', guestAcceleratorCount: 1 }] },
  { name: 'a2-highgpu-8g', guestCpus: 96, memoryMb: 696320, accelerators: [{ guestAcceleratorType: 'nvidia-tesla-a100', guestAcceleratorCount: 8 }] },
  { name: 'g2-standard-4', guestCpus: 4, memoryMb: 16384, accelerators: [{ guestAcceleratorType: 'nvidia-l4', guestAcceleratorCount: 1 }] },
];

/** Accelerators that may be attached (N1 only for the Tesla ones, as on GCE); the quota metric each counts against. */
export const ACCELERATOR_TYPES: Record<string, { quota: string; attachableTo: RegExp }> = {
  'nvidia-tesla-t4': { quota: 'NVIDIA_T4_GPUS', attachableTo: /^n1-/ },
  'nvidia-tesla-v100': { quota: 'NVIDIA_V100_GPUS', attachableTo: /^n1-/ },
  'nvidia-tesla-a100': { quota: 'NVIDIA_A100_GPUS', attachableTo: /^a2-/ },
  'nvidia-l4': { quota: 'NVIDIA_L4_GPUS', attachableTo: /^g2-/ },
};

export const DISK_TYPES = ['pd-standard', 'pd-balanced', 'pd-ssd', 'pd-extreme', 'hyperdisk-balanced'];

export interface ImageInfo {
  name: string;
  family: string;
  architecture: 'X86_64' | 'ARM64';
  diskSizeGb: number;
}

/** ubuntu-os-cloud's families, each resolving to its newest image, as images.getFromFamily does. */
export const PUBLIC_IMAGES: Record<string, ImageInfo[]> = {
  'ubuntu-os-cloud': [
    { name: 'ubuntu-2204-jammy-v20261105', family: 'ubuntu-2204-lts', architecture: 'X86_64', diskSizeGb: 10 },
    { name: 'ubuntu-2204-jammy-arm64-v20261105', family: 'ubuntu-2204-lts-arm64', architecture: 'ARM64', diskSizeGb: 10 },
    { name: 'ubuntu-2404-noble-amd64-v20261020', family: 'ubuntu-2404-lts-amd64', architecture: 'X86_64', diskSizeGb: 10 },
    { name: 'ubuntu-2404-noble-amd64-v20261118', family: 'ubuntu-2404-lts-amd64', architecture: 'X86_64', diskSizeGb: 10 },
    { name: 'ubuntu-2404-noble-arm64-v20261118', family: 'ubuntu-2404-lts-arm64', architecture: 'ARM64', diskSizeGb: 10 },
    { name: 'ubuntu-minimal-2404-noble-amd64-v20261118', family: 'ubuntu-minimal-2404-lts-amd64', architecture: 'X86_64', diskSizeGb: 10 },
  ],
};

export function imageFromFamily(project: string, family: string): ImageInfo | undefined {
  return (PUBLIC_IMAGES[project] ?? []).filter((i) => i.family === family).sort((a, b) => b.name.localeCompare(a.name))[0];
}
