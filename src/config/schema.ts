import { Ajv, type ValidateFunction } from 'ajv';
import cluster from '../../schemas/cluster.schema.json' with { type: 'json' };
import aws from '../../schemas/providers/aws.schema.json' with { type: 'json' };
import gcp from '../../schemas/providers/gcp.schema.json' with { type: 'json' };
import local from '../../schemas/providers/local.schema.json' with { type: 'json' };
import processProvider from '../../schemas/providers/process.schema.json' with { type: 'json' };
import type { ProviderType } from './types.js';

/** The schemas as data, for tools and tests that walk them (key tables, coverage checks). */
export const SCHEMAS = { cluster, providers: { process: processProvider, local, aws, gcp } } as const;

export interface Validators {
  cluster: ValidateFunction;
  provider: Record<ProviderType, ValidateFunction>;
  nodeConfig: Record<ProviderType, ValidateFunction>;
}

let compiled: Validators | undefined;

/** Compiles every schema once per process (strict mode: a malformed schema fails loudly, in tests). */
export function validators(): Validators {
  if (compiled) return compiled;
  // verbose: errors carry their schema and data, which the messages use for "did you mean" and "got …".
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  for (const s of [cluster, processProvider, local, aws, gcp]) ajv.addSchema(s);
  const get = (id: string): ValidateFunction => {
    const v = ajv.getSchema(id);
    if (!v) throw new Error(`schema ${id} did not compile`);
    return v;
  };
  const provider = {} as Record<ProviderType, ValidateFunction>;
  const nodeConfig = {} as Record<ProviderType, ValidateFunction>;
  for (const [type, s] of Object.entries(SCHEMAS.providers) as [ProviderType, { $id: string }][]) {
    provider[type] = get(s.$id);
    nodeConfig[type] = get(`${s.$id}#/definitions/node_config`);
  }
  compiled = { cluster: get(cluster.$id), provider, nodeConfig };
  return compiled;
}
