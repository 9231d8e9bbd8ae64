import type { Cloud, Token } from './cloud.js';

/** One API call, routed: path parameters, query, JSON body and the caller its bearer token names. */
export interface Ctx {
  cloud: Cloud;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  who: Token;
  /** as the call log names it: `instances.bulkInsert` */
  method: string;
}

export type Handler = (ctx: Ctx) => unknown;
