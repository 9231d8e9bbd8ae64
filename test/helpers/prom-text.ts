/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: what Prometheus would take, and
 * more. It throws, naming the line, on anything a scraper would refuse or that breaks the format's rules: a
 * malformed line, a sample before its family's TYPE or of a family declared elsewhere, a family declared twice,
 * a series twice, a histogram without its +Inf bucket or with buckets that are not cumulative, a negative counter.
 */

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample { name: string; labels: Record<string, string>; value: number }

export interface PromFamily { name: string; help: string | undefined; type: PromType; samples: PromSample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<PromType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** As Prometheus reads a value (Go's ParseFloat): NaN and Inf in any case. */
function parseValue(s: string, where: string): number {
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(s);
  if (special) return special[2]?.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: '${s}' is not a number`);
  return Number(s);
}

/** `{a="x",b="y\"z"}` at the start of `s`: the labels and what follows them. */
function parseLabels(s: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: a label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: '${name}' is not a label name`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label ${name}'s value is not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] !== '\\') {
        value += s[j];
        continue;
      }
      const e = s[++j];
      if (e === 'n') value += '\n';
      else if (e === '\\' || e === '"') value += e;
      else throw new Error(`${where}: '\\${e ?? ''}' is not an escape of a label value`);
    }
    if (j >= s.length) throw new Error(`${where}: label ${name}'s value is not closed`);
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') i += 1;
    else if (s[i] !== '}') throw new Error(`${where}: expected ',' or '}' after label ${name}`);
  }
}

/** The family a sample name belongs to, given its declared families (histogram and summary samples carry a suffix). */
function familyOf(name: string, families: ReadonlyMap<string, PromFamily>): PromFamily | undefined {
  const own = families.get(name);
  if (own) return own;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m?.[1] === undefined ? undefined : families.get(m[1]);
  if (!base) return undefined;
  if (m?.[2] === 'bucket' && base.type !== 'histogram') return undefined;
  return base.type === 'histogram' || base.type === 'summary' ? base : undefined;
}

function checkHistogram(f: PromFamily): void {
  const series = new Map<string, PromSample[]>();
  for (const s of f.samples.filter((x) => x.name === `${f.name}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  // A labelled histogram nothing was observed in yet has no series at all; one with a _count has buckets.
  if (series.size === 0 && f.samples.length > 0) throw new Error(`${f.name}: a histogram without buckets`);
  for (const [key, buckets] of series) {
    const les = buckets.map((b) => parseValue(b.labels.le ?? '', f.name));
    if (les.some((le, i) => i > 0 && le <= (les[i - 1] as number))) throw new Error(`${f.name}${key}: buckets not in increasing le`);
    if (buckets.some((b, i) => i > 0 && b.value < (buckets[i - 1] as PromSample).value)) throw new Error(`${f.name}${key}: buckets not cumulative`);
    if (les.at(-1) !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === key);
    if (!count || count.value !== buckets.at(-1)?.value) throw new Error(`${f.name}${key}: _count is not the +Inf bucket`);
    if (!f.samples.some((s) => s.name === `${f.name}_sum` && JSON.stringify(s.labels) === key)) throw new Error(`${f.name}${key}: no _sum`);
  }
}

export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const series = new Set<string>();
  let current: PromFamily | undefined;
  const closed = new Set<string>();
  const declare = (name: string, where: string): PromFamily => {
    if (!NAME.test(name)) throw new Error(`${where}: '${name}' is not a metric name`);
    let f = families.get(name);
    if (!f) {
      if (current) closed.add(current.name);
      f = { name, help: undefined, type: 'untyped', samples: [] };
      families.set(name, f);
      current = f;
    } else if (f !== current) {
      throw new Error(`${where}: ${name} is declared again after other families`);
    }
    return f;
  };
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the text does not end with a newline');
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      const f = declare(name, where);
      if (f.samples.length > 0) throw new Error(`${where}: ${kind} of ${name} after its samples`);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: HELP of ${name} twice`);
        f.help = rest.replace(/\\(n|\\)/g, (_, e: string) => (e === 'n' ? '\n' : '\\'));
      } else {
        if (!TYPES.has(rest as PromType)) throw new Error(`${where}: '${rest}' is not a metric type`);
        if (f.type !== 'untyped' || families.get(name)?.samples.length) throw new Error(`${where}: TYPE of ${name} twice`);
        f.type = rest as PromType;
      }
      return;
    }
    if (line.startsWith('#')) return;
    const m = /^([^\s{]+)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample: ${line}`);
    const [, name = '', labelText, valueText = ''] = m;
    if (!NAME.test(name)) throw new Error(`${where}: '${name}' is not a metric name`);
    const labels = labelText ? parseLabels(labelText, where) : { labels: {}, rest: '' };
    if (labels.rest !== '') throw new Error(`${where}: text after the labels`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`${where}: ${name} has no TYPE before it`);
    if (f !== current || closed.has(f.name)) throw new Error(`${where}: ${name} is apart from the rest of its family`);
    const value = parseValue(valueText, where);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: counter ${name} is ${valueText}`);
    const key = `${name}${JSON.stringify(Object.entries(labels.labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: ${name} with the same labels twice`);
    series.add(key);
    f.samples.push({ name, labels: labels.labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The value of one series (labels matched exactly), or undefined. */
export function sampleValue(families: ReadonlyMap<string, PromFamily>, family: string, labels: Record<string, string> = {}, name = family): number | undefined {
  const key = JSON.stringify(Object.entries(labels).sort());
  return families.get(family)?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === key)?.value;
}
