import { availableParallelism } from 'node:os';

/**
 * The resources a node offers: its type's, or when the type declares none (Ray's local provider, "take the
 * machine's size"), the CPUs of the machine it runs on, as `ray start` would detect them.
 */
export function nodeResources(declared: Record<string, number> | undefined): Record<string, number> {
  return declared && Object.keys(declared).length > 0 ? declared : { CPU: availableParallelism() };
}
