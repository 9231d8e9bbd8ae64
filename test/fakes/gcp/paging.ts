// maxResults / pageToken / nextPageToken over a list already filtered and ordered. The fake's page size caps
// maxResults, so every caller meets pagination early.
import { invalidField } from './errors.js';
import { FilterError, parseFilter, type Predicate, type Resource } from './filter.js';

export function filterOf(query: URLSearchParams): Predicate {
  const f = query.get('filter') ?? '';
  try {
    return parseFilter(f);
  } catch (e) {
    if (e instanceof FilterError) throw invalidField('filter', f, `Invalid list filter expression: ${e.message}.`);
    throw e;
  }
}

export function page<T>(items: T[], query: URLSearchParams, pageSize: number): { items: T[]; nextPageToken?: string } {
  const max = query.get('maxResults');
  const n = max === null ? 500 : Number(max);
  if (!Number.isInteger(n) || n < 0 || n > 500) throw invalidField('maxResults', max ?? '', 'Must be between 0 and 500.');
  const size = Math.min(n === 0 ? 500 : n, pageSize);
  const token = query.get('pageToken');
  let start = 0;
  if (token !== null && token !== '') {
    const parsed = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed === null) throw invalidField('pageToken', token, 'Invalid page token.');
    start = Number(parsed[1]);
  }
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(`o${start + size}`).toString('base64url') : undefined;
  return { items: slice, ...(next === undefined ? {} : { nextPageToken: next }) };
}

export type { Resource };
