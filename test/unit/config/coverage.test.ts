import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'mocha';
import ts from 'typescript';
import { END, keyTable, START } from '../../../scripts/key-table.js';
import { SCHEMAS } from '../../../src/config/schema.js';
import { KEY_RULES } from '../../../src/config/support.js';

type Schema = { properties?: Record<string, Schema>; patternProperties?: Record<string, Schema>; additionalProperties?: unknown; $ref?: string };

/** Every key path a schema declares, with node types as `available_node_types.<type>`. */
function keyPaths(schema: Schema, root: Schema, prefix = ''): string[] {
  const resolve = (s: Schema): Schema => {
    if (!s.$ref) return s;
    const name = s.$ref.replace('#/definitions/', '');
    return ((root as { definitions?: Record<string, Schema> }).definitions?.[name]) ?? s;
  };
  const out: string[] = [];
  for (const [k, raw] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path);
    const s = resolve(raw);
    if (k === 'available_node_types' && prefix === '') {
      const t = resolve((s.additionalProperties as Schema | undefined) ?? s.patternProperties?.['.*'] ?? {});
      out.push(...keyPaths(t, root, `${path}.<type>`));
    } else if (k !== 'node_config') {
      out.push(...keyPaths(s, root, path));
    }
  }
  return out;
}

const cluster = SCHEMAS.cluster as unknown as Schema;
const ours = new Set([
  ...keyPaths(cluster, cluster),
  ...Object.values(SCHEMAS.providers).flatMap((p) => keyPaths(p as unknown as Schema, p as unknown as Schema, 'provider')),
]);
const ruleKeys = new Set(KEY_RULES.map((r) => r.key));

describe('config key coverage', () => {
  it('every schema key is classified in the support table', () => {
    assert.deepEqual([...ours].filter((k) => !ruleKeys.has(k)), []);
  });

  it('every support-table key is a schema key (or a recognised legacy key)', () => {
    assert.deepEqual(KEY_RULES.filter((r) => !r.legacy && !ours.has(r.key)).map((r) => r.key), []);
  });

  it('every key is in the README table, exactly as generated', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const a = readme.indexOf(START);
    const b = readme.indexOf(END);
    assert.ok(a >= 0 && b > a, 'README.md has the generated key table section');
    assert.equal(readme.slice(a + START.length, b).trim(), keyTable(), 'README key table is stale: run npm run docs:keys');
    for (const k of ours) assert.ok(readme.includes(`| \`${k}\``), `README table lacks ${k}`);
  });

  it('every schema key has a property in the TypeScript config types', () => {
    const file = new URL('../../../src/config/types.ts', import.meta.url);
    const src = ts.createSourceFile('types.ts', readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const names = new Set<string>();
    const visit = (n: ts.Node): void => {
      if (ts.isPropertySignature(n) && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name))) names.add(n.name.text);
      ts.forEachChild(n, visit);
    };
    visit(src);
    const missing = [...ours].filter((k) => !names.has(k.split('.').pop() ?? k));
    assert.deepEqual(missing, []);
  });

  // Ray's schema is reference data beside the repository, not in it; the key paths it declares are kept here
  // (test/fixtures/ray-schema-keys.json) so that every checkout checks them, and checked against the schema
  // itself wherever it is (UPDATE_FIXTURES=1 rewrites the list from it).
  const rayKeysFile = new URL('../../fixtures/ray-schema-keys.json', import.meta.url);
  const rayKeys = JSON.parse(readFileSync(rayKeysFile, 'utf8')) as string[];
  it('every key path Ray\'s cluster schema declares is in ours', () => {
    assert.ok(rayKeys.length > 50, 'the list of Ray\'s keys is filled');
    assert.deepEqual(rayKeys.filter((k) => !ours.has(k)), []);
  });

  const raySchemaFile = new URL('../../../../shared/reference/ray-configs/ray-schema.json', import.meta.url);
  if (existsSync(raySchemaFile)) {
    it('the kept list of Ray\'s key paths matches Ray\'s ray-schema.json', () => {
      const ray = JSON.parse(readFileSync(raySchemaFile, 'utf8')) as Schema;
      const walked = keyPaths(ray, ray);
      if (process.env.UPDATE_FIXTURES === '1') writeFileSync(rayKeysFile, `${JSON.stringify(walked, null, 2)}\n`);
      assert.deepEqual(rayKeys, walked);
    });
  }
});
