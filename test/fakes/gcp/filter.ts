// Compute's list `filter` expressions, for the part raylaunch and Ray write: comparisons `field = value`,
// `field != value`, `field:value` (has; `labels.k:*` is "has the label"), the older `field eq regex` / `ne`, joined
// by AND, OR, NOT (or juxtaposition, which is AND) and parentheses. Pure: a parse, then a predicate on the resource
// as it is rendered on the wire.

export type Resource = Record<string, unknown>;
export type Predicate = (r: Resource) => boolean;

export class FilterError extends Error {}

type Tok = { kind: 'lp' | 'rp' | 'and' | 'or' | 'not' } | { kind: 'term'; text: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(\()|(\))|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s()"']+))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < src.length && (m = re.exec(src)) !== null) {
    at = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: 'lp' });
    else if (m[2] !== undefined) out.push({ kind: 'rp' });
    else if (m[3] !== undefined) {
      const w = m[3];
      if (w === 'AND') out.push({ kind: 'and' });
      else if (w === 'OR') out.push({ kind: 'or' });
      else if (w === 'NOT' || w === '-') out.push({ kind: 'not' });
      else out.push({ kind: 'term', text: w });
    }
  }
  if (src.slice(at).trim() !== '') throw new FilterError(`cannot read the filter at '${src.slice(at)}'`);
  return out;
}

function unquote(v: string): string {
  return /^(["']).*\1$/s.test(v) ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

export function fieldOf(r: Resource, path: string): unknown {
  let cur: unknown = r;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** `=` matches a value exactly, or (for links) their last path segment, with `*` as a wildcard. */
function matches(actual: unknown, want: string): boolean {
  if (actual === undefined || actual === null) return false;
  if (Array.isArray(actual)) return actual.some((a) => matches(a, want));
  const s = String(actual);
  const re = new RegExp(`^${want.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(s) || (s.startsWith('https://') && re.test(s.slice(s.lastIndexOf('/') + 1)));
}

function comparison(lhs: string, op: string, rhs: string): Predicate {
  const field = lhs;
  const value = unquote(rhs);
  if (!/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(field)) throw new FilterError(`'${field}' is not a field`);
  switch (op) {
    case '=': return (r) => matches(fieldOf(r, field), value);
    case '!=': return (r) => !matches(fieldOf(r, field), value);
    case ':': return (r) => (value === '*' ? fieldOf(r, field) !== undefined : matches(fieldOf(r, field), `*${value}*`));
    case 'eq':
    case 'ne': {
      const re = new RegExp(`^(?:${value})$`);
      const test = (r: Resource): boolean => { const v = fieldOf(r, field); return v !== undefined && re.test(String(v)); };
      return op === 'eq' ? test : (r) => !test(r);
    }
    default: throw new FilterError(`unknown operator '${op}'`);
  }
}

/** Parses a filter; an empty one matches everything. Throws FilterError on what GCE would call an invalid filter. */
export function parseFilter(src: string): Predicate {
  const toks = tokenize(src);
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  // A term token may hold `a=b`, `a!=b`, `a:b` glued together, or be one of three tokens `a = b`.
  const term = (): Predicate => {
    const t = toks[i];
    if (t?.kind !== 'term') throw new FilterError('expected a comparison');
    i += 1;
    const glued = /^([^=!:]+?)(!=|=|:)(.+)$/s.exec(t.text);
    if (glued !== null) return comparison(glued[1] ?? '', glued[2] ?? '', glued[3] ?? '');
    const op = toks[i];
    const rhs = toks[i + 1];
    if (op?.kind === 'term' && ['=', '!=', ':', 'eq', 'ne'].includes(op.text) && rhs?.kind === 'term') {
      i += 2;
      return comparison(t.text, op.text, rhs.text);
    }
    const half = /^([^=!:]+?)(!=|=|:)$/.exec(t.text);
    if (half !== null && op?.kind === 'term') {
      i += 1;
      return comparison(half[1] ?? '', half[2] ?? '', op.text);
    }
    if (op?.kind === 'term' && /^(!=|=|:)./.test(op.text)) {
      i += 1;
      const m = /^(!=|=|:)(.*)$/s.exec(op.text);
      return comparison(t.text, m?.[1] ?? '', m?.[2] ?? '');
    }
    throw new FilterError(`'${t.text}' is not a comparison`);
  };
  const unary = (): Predicate => {
    const t = peek();
    if (t?.kind === 'not') {
      i += 1;
      const p = unary();
      return (r) => !p(r);
    }
    if (t?.kind === 'lp') {
      i += 1;
      const p = or();
      if (peek()?.kind !== 'rp') throw new FilterError('unbalanced parentheses');
      i += 1;
      return p;
    }
    return term();
  };
  const and = (): Predicate => {
    const parts = [unary()];
    for (;;) {
      const t = peek();
      if (t?.kind === 'and') { i += 1; parts.push(unary()); continue; }
      if (t?.kind === 'term' || t?.kind === 'lp' || t?.kind === 'not') { parts.push(unary()); continue; }
      return (r) => parts.every((p) => p(r));
    }
  };
  function or(): Predicate {
    const parts = [and()];
    while (peek()?.kind === 'or') {
      i += 1;
      parts.push(and());
    }
    return (r) => parts.some((p) => p(r));
  }
  if (toks.length === 0) return () => true;
  const p = or();
  if (i !== toks.length) throw new FilterError('trailing tokens');
  return p;
}
