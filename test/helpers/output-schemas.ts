import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { REPO } from './run-cli.js';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const dir = join(REPO, 'schemas', 'output');
for (const f of readdirSync(dir)) ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')) as object);

/** Asserts that a command's --json output matches schemas/output/<command>.schema.json. */
export function assertOutput(command: string, json: unknown): void {
  const v = ajv.getSchema(`https://raylaunch.dev/schemas/output/${command}.schema.json`) as ValidateFunction | undefined;
  assert.ok(v, `no output schema for ${command}`);
  assert.ok(v(json), `${command} --json output does not match its schema: ${JSON.stringify(v.errors, null, 2)}\n${JSON.stringify(json)}`);
}
