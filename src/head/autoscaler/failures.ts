/**
 * What a failed launch or node setup means to the autoscaler's decisions, read off the error's class (never its
 * text). This is the acting side's job: decision code (outcomes.ts) gets the result as data and imports neither
 * the providers nor the updater.
 */
import { CapacityError, ProviderAuthError, ProviderConfigError } from '../../../providers/errors.js';
import { NodeUpdateError } from '../../updater/errors-update.js';
import type { LaunchFailure, SetupFailure } from './outcomes.js';

/** How long launching waits after an auth error before it tries again. */
export const AUTH_RETRY_MS = 5 * 60_000;

export function launchFailure(error: unknown): LaunchFailure {
  const e = error instanceof Error ? error : new Error(String(error));
  if (e instanceof CapacityError) return { class: 'capacity', reason: e.reason, message: e.message };
  // The head's credentials (an instance profile's) rotate and a policy can be put right by `up`: auth is tried again.
  if (e instanceof ProviderAuthError) return { class: 'stop', message: e.message, hint: e.hint, retryAfterMs: AUTH_RETRY_MS };
  if (e instanceof ProviderConfigError) return { class: 'stop', message: e.message, hint: e.hint };
  // TransientProviderError and anything unexpected: the next tick decides again.
  return { class: 'retry', message: e.message };
}

export function setupFailure(error: unknown): SetupFailure {
  const e = error instanceof Error ? error : new Error(String(error));
  return e instanceof NodeUpdateError ? { message: e.message, step: e.step, exitCode: e.commandExitCode ?? null } : { message: e.message, step: null, exitCode: null };
}
