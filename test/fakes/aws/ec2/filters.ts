// Describe* filters and pagination, as EC2 applies them: filters AND together, a filter's values OR, `*` and `?`
// are wildcards, and a filter name the call does not know is an error rather than ignored.
import { ApiError } from '../errors.js';
import { wildcard } from '../policy.js';
import { str, strings, trees, type QueryTree } from '../wire/query.js';
import type { Tags } from './model.js';

export interface Filter {
  name: string;
  values: string[];
}

export function readFilters(p: QueryTree): Filter[] {
  return trees(p, 'Filter').map((f) => ({ name: str(f, 'Name') ?? '', values: strings(f, 'Value') }));
}

/** The resource's values for a filter name; undefined for a name this resource kind has no filter for. */
export type Attributes = (name: string) => string[] | undefined;

export function tagAttributes(tags: Tags, name: string): string[] | undefined {
  if (name.startsWith('tag:')) {
    const v = tags.get(name.slice(4));
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return [...tags.keys()];
  if (name === 'tag-value') return [...tags.values()];
  return undefined;
}

export function matchesFilters(filters: Filter[], attrs: Attributes): boolean {
  return filters.every((f) => {
    const have = attrs(f.name);
    if (have === undefined) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    return f.values.some((want) => have.some((v) => wildcard(want, v)));
  });
}

/** Rejects filter names up front, even when nothing is there to match them against. */
export function checkFilterNames(filters: Filter[], attrs: Attributes): void {
  for (const f of filters) if (attrs(f.name) === undefined) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** One page: MaxResults if the caller asked, never more than the fake's page size, so callers must follow NextToken. */
export function paginate<T>(items: T[], p: QueryTree, pageSize: number): Page<T> {
  const token = str(p, 'NextToken');
  let offset = 0;
  if (token !== undefined) {
    const parsed = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
    if (parsed === null) throw new ApiError('InvalidParameterValue', `Invalid value '${token}' for NextToken`);
    offset = Number(parsed[1]);
  }
  const max = str(p, 'MaxResults');
  const size = Math.min(pageSize, max === undefined ? Infinity : Number(max));
  const slice = items.slice(offset, offset + size);
  const end = offset + slice.length;
  return { items: slice, nextToken: end < items.length ? Buffer.from(`o${end}`).toString('base64url') : undefined };
}

export function checkMaxResults(p: QueryTree, min: number, max: number): void {
  const v = str(p, 'MaxResults');
  if (v === undefined) return;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ApiError('InvalidParameterValue', `Value ( ${v} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`);
}
