/**
 * What an update of one node has to do, decided from what the node reported (its probe) and what this run
 * wants. Pure, so every combination is a row in a table test.
 */
import type { Probe } from './remote.js';

export interface UpdateWants {
  /** The runtime hash this config and runtime give (setup commands, file-mount mapping, runtime build). */
  runtimeHash: string;
  /** The hash of the config.json the daemon should run with. */
  configHash: string;
  /** --force-setup: sync and set up again even when nothing changed. */
  forceSetup: boolean;
  /** --restart-only: restart the daemon, skip sync and setup. */
  restartOnly: boolean;
}

export interface UpdateSteps {
  uploadRuntime: boolean;
  /** file mounts, config, token and keys */
  sync: boolean;
  /** initialization and setup commands */
  setup: boolean;
  /** (re)start the daemon: start commands, then the supervisor */
  start: boolean;
  /** why, for the log and the progress line */
  reason: string;
}

export function planUpdate(p: Probe, w: UpdateWants): UpdateSteps {
  const uploadRuntime = !p.runtimePresent;
  if (w.restartOnly) {
    return { uploadRuntime, sync: uploadRuntime || p.configHash !== w.configHash, setup: false, start: true, reason: 'restart requested (--restart-only)' };
  }
  if (w.forceSetup) return { uploadRuntime, sync: true, setup: true, start: true, reason: 'setup forced (--force-setup)' };
  if (p.appliedHash !== w.runtimeHash || uploadRuntime) {
    return { uploadRuntime, sync: true, setup: true, start: true, reason: p.appliedHash ? 'the runtime hash changed' : 'first setup' };
  }
  if (p.configHash !== w.configHash) return { uploadRuntime: false, sync: true, setup: false, start: true, reason: 'the cluster config changed' };
  if (!p.daemonRunning) return { uploadRuntime: false, sync: false, setup: false, start: true, reason: 'raylaunch is not running there' };
  return { uploadRuntime: false, sync: false, setup: false, start: false, reason: 'up to date' };
}
