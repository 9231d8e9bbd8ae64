/**
 * The config as nodes get it: without what only the CLI uses. Cloud credentials let the CLI start and stop the
 * cluster's machines; on a node they would be readable by every job (the head's autoscaler uses the
 * instance's own role or service account, as Ray's does). Nodes never need them, so they never get them.
 */
import type { ClusterConfig } from './types.js';

/** The provider keys that hold secrets (schemas/providers/aws.schema.json, gcp.schema.json). */
export const PROVIDER_SECRETS = ['aws_credentials', 'gcp_credentials'] as const;

export function nodeConfig(c: ClusterConfig): ClusterConfig {
  const provider: Record<string, unknown> = { ...c.provider };
  for (const key of PROVIDER_SECRETS) delete provider[key];
  return { ...c, provider: provider as unknown as ClusterConfig['provider'] };
}
