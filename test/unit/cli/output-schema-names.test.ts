import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { REPO } from '../../helpers/run-cli.js';
import { DATA_KEYS, keyNames, openShapes, SNAKE_CASE } from '../../helpers/schema-names.js';

const dir = join(REPO, 'schemas', 'output');
const schemas = readdirSync(dir).filter((f) => f.endsWith('.schema.json')).map((f) => ({ file: f, schema: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown> }));

describe('the --json vocabulary: snake_case, as Ray\'s config keys and Jobs API', () => {
  it('finds the output schemas', () => {
    assert.ok(schemas.length >= 12, schemas.map((s) => s.file).join(', '));
  });

  for (const { file, schema } of schemas) {
    it(`every key name in ${file} is snake_case`, () => {
      const bad = [...keyNames(schema)].filter((k) => !SNAKE_CASE.test(k.name));
      assert.deepEqual(bad, []);
    });

    it(`every object with named properties in ${file} says whether others may come`, () => {
      assert.deepEqual([...openShapes(schema)], []);
    });
  }

  // The walker itself: what it must catch, and the data-key maps it must leave alone.
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['a camelCase property', { type: 'object', properties: { nodeId: {} } }, ['nodeId']],
    ['a camelCase required name', { required: ['jobId'] }, ['jobId']],
    ['a property nested in items, oneOf and definitions', { definitions: { a: { oneOf: [{ items: { properties: { exitCode: {} } } }] } } }, ['exitCode']],
    ['a pattern property of a vocabulary object', { patternProperties: { '^[A-Z]': {} } }, ['^[A-Z]']],
    ['a property named like a keyword is a name, not the keyword', { properties: { required: { properties: { lastHeartbeat: {} } } } }, ['lastHeartbeat']],
    ['resource names in an additionalProperties map are data', { properties: { total: { type: 'object', additionalProperties: { type: 'number' } } } }, []],
    ['a pattern map marked as data keys', { $comment: `${DATA_KEYS} resource names`, patternProperties: { '^[A-Za-z]': {} } }, []],
    ['snake_case names', { properties: { node_id: {}, exit_code: {} }, required: ['node_id'] }, []],
  ];
  for (const [what, schema, expected] of cases) {
    it(`the name check ${expected.length > 0 ? 'flags' : 'accepts'} ${what}`, () => {
      assert.deepEqual([...keyNames(schema)].map((k) => k.name).filter((n) => !SNAKE_CASE.test(n)), expected);
    });
  }

  it('the shape check flags an object with named properties and no additionalProperties', () => {
    assert.deepEqual([...openShapes({ properties: { a: { type: 'object', properties: { b: {} } } }, additionalProperties: false })].map((p) => p.at), ['#/properties/a']);
  });
});
