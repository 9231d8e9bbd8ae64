import {
  Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, type ParsedNode,
  type ScalarTag, type Tags, visit, type YAMLMap,
} from 'yaml';
import { ConfigError, type LocatedProblem, type PendingProblem, type Problem, type YamlPath } from './problems.js';
import { checkDocument } from './yaml-checks.js';

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

/**
 * Parses YAML 1.1 as PyYAML does; duplicate keys are errors, and so are aliases that could not be turned into
 * values (see checkDocument). Never throws for bad input.
 */
export function parseYaml(text: string, file: string): ParseResult {
  const lines = new LineCounter();
  // uniqueKeys: false — checkDocument finds duplicate keys in one pass; the parser's check is quadratic.
  const doc = parseDocument(text, {
    version: '1.1', uniqueKeys: false, prettyErrors: false, lineCounter: lines, customTags: pyyamlTags,
    merge: true,
  });
  const source: YamlSource = { file, text, doc, lines };
  const lineText = (n: number): string | undefined => {
    const start = lines.lineStarts[n - 1];
    if (start === undefined) return undefined;
    const end = text.indexOf('\n', start);
    return text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
  };
  const at = (offset: number, message: string, hint: string | undefined): LocatedProblem => {
    const { line, col } = lines.linePos(offset);
    return {
      severity: 'error', file, path: '', line, column: col, message, ...(hint ? { hint } : {}),
      frame: frame(lineText, line, col),
    };
  };
  const errors = doc.errors.map((e) => (TOO_DEEP.test(e.message)
    ? at(e.pos[0], 'the file nests too deeply to be read', 'a cluster config nests a few levels deep: check the brackets and the indentation')
    : at(openingOf(e.message, text, e.pos[0]), `YAML syntax error: ${firstLine(e.message)}`, yamlHint(e.code))));
  if (errors.length === 0) errors.push(...checkDocument(doc.contents, text).map((f) => at(f.offset, f.message, f.hint)));
  return { source, errors };
}

// The parser recurses once per level of nesting and reports running out of stack as an error.
const TOO_DEEP = /Maximum call stack size exceeded/;

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
  return frame((n) => src[n - 1], line, column);
}

/** Frame lines are cut to this many characters around the column (a minified line can be a megabyte long). */
const FRAME_WIDTH = 120;

function frame(lineText: (n: number) => string | undefined, line: number, column: number): string {
  const shown = [line - 1, line].flatMap((n) => {
    const t = n >= 1 ? lineText(n) : undefined;
    return t === undefined ? [] : [{ n, t }];
  });
  // A long line shows a window around the column; the line above is cut to the same window (if long too).
  const from = (lineText(line)?.length ?? 0) > FRAME_WIDTH ? Math.max(0, column - 1 - FRAME_WIDTH / 2) : 0;
  const cut = (t: string) => (t.length <= FRAME_WIDTH ? t
    : `${from > 0 ? '…' : ''}${t.slice(from, from + FRAME_WIDTH)}${t.length > from + FRAME_WIDTH ? '…' : ''}`);
  const width = String(line).length;
  const out = shown.map(({ n, t }) => `${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${cut(t)}`);
  out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1 - from + (from > 0 ? 1 : 0)))}^`);
  return out.join('\n');
}

/**
 * The plain JavaScript value of the document (aliases and merge keys resolved). parseYaml has bounded the aliases
 * (checkDocument), so the yaml package's own alias count is off: it walks the whole document again for each alias
 * inside an anchor (25 s for a 0.8 MB file of 1,000 aliases). Should the package still refuse an alias, that is a
 * config error too, never a crash.
 */
export function toValue(source: YamlSource): unknown {
  try {
    return source.doc.toJS({ maxAliasCount: -1 });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const { line, col } = source.lines.linePos(firstAlias(source.doc.contents));
    throw new ConfigError(source.file, [{
      severity: 'error', file: source.file, path: '', line, column: col,
      message: `the aliases (*name) in this file cannot be expanded: ${e.message}`,
      hint: 'write the repeated parts out, or alias fewer or smaller parts: a cluster config needs a few aliases at most',
    }], { cause: e });
  }
}

function firstAlias(contents: unknown): number {
  let at = 0;
  visit(contents as Node, { Alias: (_k, node) => { at = node.range?.[0] ?? 0; return visit.BREAK; } });
  return at;
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

// Each mapping's keys, indexed the first time a problem is located in it: locating is then linear in the path,
// not in the size of the mappings along it.
const keyIndexes = new WeakMap<YAMLMap, Map<string, { key: unknown; value: unknown }>>();

function child(node: unknown, seg: string | number): { key: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    let index = keyIndexes.get(node);
    if (!index) {
      index = new Map();
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = item.key;
        const name = String(isScalar(k) ? k.value : k);
        if (!index.has(name)) index.set(name, { key: k, value: item.value ?? k });
      }
      keyIndexes.set(node, index);
    }
    return index.get(String(seg));
  }
  if (isSeq(node) && typeof seg === 'number') {
    const v = node.items[seg];
    return v === undefined ? undefined : { key: undefined, value: v };
  }
  return undefined;
}

/** Gives every problem its file, line and column; "did you mean" searches are left for the problems reported. */
export function locateAll(source: YamlSource, problems: readonly Problem[], format: (p: YamlPath) => string): PendingProblem[] {
  return problems.map((p) => {
    const { line, column } = locate(source, p.path, p.at);
    return {
      severity: p.severity, file: source.file, path: format(p.path), line, column, message: p.message,
      ...(p.hint ? { hint: p.hint } : {}), ...(p.suggest ? { suggest: p.suggest } : {}),
    };
  });
}
