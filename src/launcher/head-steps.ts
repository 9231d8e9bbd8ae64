import type { CloudNode } from '../../providers/provider.js';
import type { ConfigChanges } from '../config/changes.js';

/**
 * What `up` does differently for a head reached over SSH (ssh-up.ts) and a head that is a process on this
 * machine (process-up.ts). The pipeline in up.ts calls these in order; everything else is the same for every
 * provider.
 */
export interface HeadSteps {
  /** Refuses, before anything is launched or taken down, what would otherwise fail only on the head node. */
  preflight(): void;
  /** Whether the cluster runs now (a restart for a changed config would end its work). */
  running(listed: CloudNode | undefined): boolean;
  /** The running head stays as it is: every change of the config is taken live (nothing to launch or update). */
  keeps(changes: ConfigChanges | undefined): boolean;
  /** Whether what runs must be taken down before the head is launched; says why in a progress line. */
  takeDownFirst(listed: CloudNode | undefined, changes: ConfigChanges | undefined): boolean;
  /** The progress line before the head is launched or updated. */
  announce: string;
  /** Brings the head node up to date and waits until its control plane listens; true when raylaunch (re)started there. */
  /** `credential`: the operator's, of which the head gets only the digest. */
  update(head: CloudNode | undefined, credential: string): Promise<boolean>;
}
