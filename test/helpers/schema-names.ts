// Walks a JSON Schema for the names it gives an object's keys, so a test can hold every --json output to one
// vocabulary. Only the keywords that hold subschemas are followed: a property may itself be called `required`
// or `items`, and must not be mistaken for the keyword.

export const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;

/**
 * The mark of a schema object that deliberately describes data keys (resource names like `CPU`, node-type
 * names): its `$comment` starts with this. Its `patternProperties` are then not vocabulary.
 */
export const DATA_KEYS = 'data keys:';

export interface NamedKey { at: string; name: string }
export interface ShapeProblem { at: string; problem: string }

type Schema = Record<string, unknown>;
const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const SUBSCHEMA = ['additionalProperties', 'additionalItems', 'items', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'items'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies', 'dependentSchemas'];

function* subschemas(s: Schema, at: string): Generator<[Schema, string]> {
  for (const k of SUBSCHEMA) if (isSchema(s[k])) yield [s[k], `${at}/${k}`];
  for (const k of SUBSCHEMA_LISTS) {
    const list = s[k];
    if (Array.isArray(list)) for (const [i, v] of list.entries()) if (isSchema(v)) yield [v, `${at}/${k}/${i}`];
  }
  for (const k of SUBSCHEMA_MAPS) {
    const map = s[k];
    if (isSchema(map)) for (const [name, v] of Object.entries(map)) if (isSchema(v)) yield [v, `${at}/${k}/${name}`];
  }
}

const dataKeys = (s: Schema) => typeof s.$comment === 'string' && s.$comment.startsWith(DATA_KEYS);

/** Every key name the schema declares (properties, required, patternProperties, dependencies), with where. */
export function* keyNames(s: Schema, at = '#'): Generator<NamedKey> {
  for (const k of ['properties', 'dependencies', 'dependentRequired', 'dependentSchemas', ...(dataKeys(s) ? [] : ['patternProperties'])]) {
    const map = s[k];
    if (isSchema(map)) for (const name of Object.keys(map)) yield { at: `${at}/${k}`, name };
  }
  if (Array.isArray(s.required)) for (const name of s.required) yield { at: `${at}/required`, name: String(name) };
  for (const [sub, where] of subschemas(s, at)) yield* keyNames(sub, where);
}

/**
 * Shapes that would let other names in: an object with named properties must say whether more may come
 * (`additionalProperties: false` for a fixed shape), and a data-key map must not also name vocabulary.
 */
export function* openShapes(s: Schema, at = '#'): Generator<ShapeProblem> {
  if (isSchema(s.properties) && !('additionalProperties' in s)) yield { at, problem: 'names properties but not additionalProperties (false for a fixed shape)' };
  if (dataKeys(s) && isSchema(s.properties)) yield { at, problem: `is marked "${DATA_KEYS}" but also names properties` };
  for (const [sub, where] of subschemas(s, at)) yield* openShapes(sub, where);
}
