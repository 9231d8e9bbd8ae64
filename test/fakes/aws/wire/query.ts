// The Query protocols (EC2's and awsQuery) send one flat form: `Filter.1.Value.2=x`, `Tags.member.1.Key=k`. The
// handlers read it as a tree, where a numbered node is a list.

export interface QueryTree {
  [key: string]: string | QueryTree;
}

/** The form body as a tree: each dotted segment one level. */
export function parseQuery(body: string): QueryTree {
  const root: QueryTree = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split('.');
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      const next = node[part];
      if (typeof next === 'object') node = next;
      else node = node[part] = {};
    });
  }
  return root;
}

/** The flat form, for the call log. */
export function flatParams(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

export function str(node: QueryTree | undefined, key: string): string | undefined {
  const v = node?.[key];
  return typeof v === 'string' ? v : undefined;
}

export function num(node: QueryTree | undefined, key: string): number | undefined {
  const v = str(node, key);
  return v === undefined ? undefined : Number(v);
}

export function bool(node: QueryTree | undefined, key: string): boolean | undefined {
  const v = str(node, key);
  return v === undefined ? undefined : v === 'true';
}

export function child(node: QueryTree | undefined, key: string): QueryTree | undefined {
  const v = node?.[key];
  return typeof v === 'object' ? v : undefined;
}

/** A list's entries in index order; awsQuery wraps them in `member`, EC2 numbers them directly. */
export function list(node: QueryTree | undefined, key: string): (string | QueryTree)[] {
  let n = child(node, key);
  if (n === undefined) return [];
  const member = child(n, 'member');
  if (member !== undefined) n = member;
  return Object.keys(n)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => (n as QueryTree)[k] as string | QueryTree);
}

export function strings(node: QueryTree | undefined, key: string): string[] {
  return list(node, key).filter((v): v is string => typeof v === 'string');
}

export function trees(node: QueryTree | undefined, key: string): QueryTree[] {
  return list(node, key).filter((v): v is QueryTree => typeof v === 'object');
}
