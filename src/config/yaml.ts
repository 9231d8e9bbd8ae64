import {
  Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type ParsedNode,
  type ScalarTag, type Tags,
} from 'yaml';
import type { LocatedProblem, Problem, YamlPath } from './problems.js';

/** A parsed config file that still knows where every key and value came from. */
export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

// PyYAML (what Ray users' files are written for) reads YAML 1.1 with narrower booleans and floats than the
// `yaml` package's 1.1 schema: `y`/`n` stay strings, and an exponent needs a dot and a sign (1e9 is a string).
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PYYAML_FLOAT_EXP = /^[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+$/;

function pyyamlTags(tags: Tags): Tags {
  return tags.map((tag) => {
    const t = tag as ScalarTag;
    if (t.tag === 'tag:yaml.org,2002:bool' && t.test) {
      return { ...t, test: t.test.test('yes') ? PYYAML_TRUE : PYYAML_FALSE };
    }
    if (t.tag === 'tag:yaml.org,2002:float' && t.format === 'EXP') return { ...t, test: PYYAML_FLOAT_EXP };
    return tag;
  });
}

export interface ParseResult {
  source: YamlSource;
  /** Syntax errors, already located (they come with positions of their own). */
  errors: LocatedProblem[];
}

/** Parses YAML 1.1 as PyYAML does; duplicate keys are errors. Never throws for bad input. */
export function parseYaml(text: string, file: string): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1', uniqueKeys: true, prettyErrors: false, lineCounter: lines, customTags: pyyamlTags,
    merge: true,
  });
  const source: YamlSource = { file, text, doc, lines };
  const errors = doc.errors.map((e): LocatedProblem => {
    const offset = openingOf(e.message, text, e.pos[0]);
    const { line, col } = lines.linePos(offset);
    const duplicate = e.code === 'DUPLICATE_KEY';
    const message = duplicate
      ? `duplicate key "${keyTextAt(text, offset)}": a key may appear only once in a mapping`
      : `YAML syntax error: ${firstLine(e.message)}`;
    const hint = duplicate
      ? 'remove one of the two, or merge their values'
      : yamlHint(e.code);
    return {
      severity: 'error', file, path: '', line, column: col, message,
      ...(hint ? { hint } : {}), frame: codeFrame(text, line, col),
    };
  });
  return { source, errors };
}

// The parser notices an unclosed quote or bracket where the file ends or the next key starts; the mistake is
// where it was opened.
function openingOf(message: string, text: string, offset: number): number {
  const opener = /closing "quote/.test(message) ? '"' : /closing 'quote/.test(message) ? "'"
    : /end with a \]/.test(message) ? '[' : /end with a \}/.test(message) ? '{' : undefined;
  if (!opener) return offset;
  const at = text.lastIndexOf(opener, Math.max(0, offset - 1));
  return at >= 0 ? at : offset;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

function keyTextAt(text: string, offset: number): string {
  const rest = text.slice(offset).split('\n')[0] ?? '';
  const key = /^("[^"]*"|'[^']*'|[^:#]*?)\s*:/.exec(rest)?.[1] ?? rest;
  return key.trim();
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'TAB_AS_INDENT': return 'indent with spaces; YAML does not allow tabs';
    case 'BAD_INDENT':
    case 'MISSING_CHAR': return 'check the indentation and the closing bracket or quote';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY': return 'a key and its colon must be on one line; quote values that contain ": "';
    default: return undefined;
  }
}

/** The line above the mistake, the line itself, and a caret under the column. */
export function codeFrame(text: string, line: number, column: number): string {
  const src = text.split(/\r?\n/);
  const width = String(line).length;
  const out: string[] = [];
  for (const n of [line - 1, line]) {
    if (n < 1 || n > src.length) continue;
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${src[n - 1] ?? ''}`);
  }
  out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  return out.join('\n');
}

/** The plain JavaScript value of the document (aliases and merge keys resolved). */
export function toValue(source: YamlSource): unknown {
  return source.doc.toJS({ maxAliasCount: 1000 });
}

/**
 * Where a problem should point: the node at `path`, or its key, or the nearest ancestor that exists (a missing
 * key is reported at the mapping that should hold it).
 */
export function locate(source: YamlSource, path: YamlPath, at: 'key' | 'value' = 'value'): { line: number; column: number } {
  let node: unknown = source.doc.contents;
  let keyNode: unknown;
  for (const seg of path) {
    const next = child(node, seg);
    if (!next) break;
    node = next.value;
    keyNode = next.key;
  }
  const target = (at === 'key' && keyNode) || node || keyNode;
  const range = (target as ParsedNode | undefined)?.range;
  const { line, col } = source.lines.linePos(range ? range[0] : 0);
  return { line, column: col };
}

function child(node: unknown, seg: string | number): { key: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k = item.key;
      const kv = isScalar(k) ? k.value : k;
      if (String(kv) === String(seg)) return { key: k, value: item.value ?? k };
    }
    return undefined;
  }
  if (isSeq(node) && typeof seg === 'number') {
    const v = node.items[seg];
    return v === undefined ? undefined : { key: undefined, value: v };
  }
  return undefined;
}

/** Gives every problem its file, line and column. */
export function locateAll(source: YamlSource, problems: readonly Problem[], format: (p: YamlPath) => string): LocatedProblem[] {
  return problems.map((p) => {
    const { line, column } = locate(source, p.path, p.at);
    return {
      severity: p.severity, file: source.file, path: format(p.path), line, column, message: p.message,
      ...(p.hint ? { hint: p.hint } : {}),
    };
  });
}
