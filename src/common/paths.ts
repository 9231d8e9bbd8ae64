import { homedir } from 'node:os';
import { join } from 'node:path';

/** raylaunch's folder on this machine; RAYLAUNCH_HOME moves it (tests use a temporary one). */
export function raylaunchHome(): string {
  return process.env.RAYLAUNCH_HOME ?? join(homedir(), '.raylaunch');
}

/** ~/.raylaunch/clusters/<name>/: token, head address, node records, logs (0700). */
export function clusterDir(clusterName: string): string {
  return join(raylaunchHome(), 'clusters', clusterName);
}
