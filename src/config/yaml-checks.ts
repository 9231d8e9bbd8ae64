import { isAlias, isCollection, isMap, isPair, isScalar, type Node } from 'yaml';

/**
 * Most aliases (*name) read from one file. The yaml package resolves each alias by scanning every anchor and alias
 * before it, so their number must stay small; a cluster config needs a handful.
 */
export const MAX_ALIASES = 500;

/** Most values the aliases of one file may stand for, once expanded: the alias bomb stops here. */
export const MAX_ALIAS_VALUES = 100_000;

/** Something wrong with the document that the parser does not check, at an offset into the text. */
export interface Finding {
  offset: number;
  kind: 'duplicate-key' | 'alias';
  message: string;
  hint: string;
}

const ALIAS_HINT = 'write the repeated parts out, or alias fewer or smaller parts: a cluster config needs a few aliases at most';

/** A collection being walked: its children in document order (a mapping's keys and values in turn). */
interface Frame {
  node: Node;
  children: readonly unknown[];
  next: number;
  /** Values under the node so far, aliases expanded. */
  values: number;
}

/**
 * One pass over the parsed document, in document order and without recursion (nesting is as deep as the file
 * makes it): duplicate keys in every mapping (the yaml package's own check compares each key with every key before
 * it), and the aliases — each must name an anchor before it and outside itself, and all of them together may not
 * expand past MAX_ALIAS_VALUES or number more than MAX_ALIASES. After these, turning the document into values
 * cannot loop or blow up.
 */
export function checkDocument(contents: unknown, text: string): Finding[] {
  const out: Finding[] = [];
  const anchors = new Map<string, Node>();
  // Values each finished anchored node stands for; nodes still being walked are absent (an alias to one is a loop).
  const sizes = new Map<Node, number>();
  const stack: Frame[] = [];
  let aliases = 0;
  let aliasValues = 0;

  /** Accounts for one node met in the walk; false stops the walk. */
  const visit = (node: unknown, parent: Frame | undefined): boolean => {
    if (isAlias(node)) {
      const at = node.range?.[0] ?? 0;
      aliases += 1;
      if (aliases > MAX_ALIASES) {
        out.push({ offset: at, kind: 'alias', message: `more than ${MAX_ALIASES.toLocaleString('en')} aliases (*name) in one file`, hint: ALIAS_HINT });
        return false;
      }
      const target = anchors.get(node.source);
      const size = target === undefined ? undefined : sizes.get(target);
      if (target === undefined) {
        out.push({ offset: at, kind: 'alias', message: `alias *${node.source} has no anchor &${node.source} before it`, hint: `put &${node.source} on the value to repeat, before the first *${node.source}` });
      } else if (size === undefined) {
        out.push({ offset: at, kind: 'alias', message: `alias *${node.source} is inside the node &${node.source} it names, so it would never end`, hint: `alias a value outside &${node.source}, or write it out` });
      } else {
        aliasValues += size;
        if (parent) parent.values += size;
        if (aliasValues > MAX_ALIAS_VALUES) {
          out.push({ offset: at, kind: 'alias', message: `the aliases (*name) in this file expand to more than ${MAX_ALIAS_VALUES.toLocaleString('en')} values`, hint: ALIAS_HINT });
          return false;
        }
      }
      return true;
    }
    if (!isScalar(node) && !isCollection(node)) return true; // an empty key or value
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) {
      if (node.anchor) sizes.set(node, 1);
      if (parent) parent.values += 1;
      return true;
    }
    if (isMap(node)) out.push(...duplicateKeys(node.items, text));
    const children = isMap(node) ? node.items.flatMap((p) => (isPair(p) ? [p.key, p.value] : [])) : node.items;
    stack.push({ node, children, next: 0, values: 1 });
    return true;
  };

  if (!visit(contents, undefined)) return out;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    if (top.next < top.children.length) {
      if (!visit(top.children[top.next++], top)) return out;
      continue;
    }
    stack.pop();
    if (top.node.anchor) sizes.set(top.node, top.values);
    const parent = stack[stack.length - 1];
    if (parent) parent.values += top.values;
  }
  return out;
}

/** The second and later uses of a key in one mapping, as the yaml package decides equality: equal scalar values. */
function duplicateKeys(items: readonly unknown[], text: string): Finding[] {
  const seen = new Set<unknown>();
  const out: Finding[] = [];
  for (const item of items) {
    const key = isPair(item) ? item.key : undefined;
    // A merge key (<<) resolves to a fresh symbol each time: several are allowed, as the yaml package allows them.
    if (!isScalar(key)) continue;
    if (seen.has(key.value)) {
      const offset = key.range?.[0] ?? 0;
      out.push({
        offset, kind: 'duplicate-key', message: `duplicate key "${keyTextAt(text, offset)}": a key may appear only once in a mapping`,
        hint: 'remove one of the two, or merge their values',
      });
    }
    seen.add(key.value);
  }
  return out;
}

/** The key as written at `offset`, quotes included (from the first 200 characters of its line). */
function keyTextAt(text: string, offset: number): string {
  const end = text.indexOf('\n', offset);
  const rest = text.slice(offset, Math.min(end < 0 ? text.length : end, offset + 200));
  const key = /^("[^"]*"|'[^']*'|[^:#]*?)\s*:/.exec(rest)?.[1] ?? rest;
  return key.trim();
}
