import { readStatSync } from '../../../providers/process/proc.js';
import type { DriverRecord } from './driver.js';

/** Signals a driver's process group, only while its leader is the process that started then (pids are recycled). */
export function signalGroup(record: DriverRecord, signal: NodeJS.Signals): void {
  // The kernel reuses no pid that still names a group: with the pid free, -pid reaches only what is left of the
  // driver's group; with it taken by a newer process, that group is gone.
  const s = readStatSync(record.pid);
  if (s !== undefined && s.startTime !== record.startTime) return;
  try {
    process.kill(-record.pid, signal);
  } catch {
    // gone meanwhile
  }
}
