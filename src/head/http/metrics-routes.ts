import type { HeadHistory } from '../history-sampler.js';
import type { HeadMetrics } from './metrics.js';
import { type Route, sendJson } from './router.js';

/**
 * GET /metrics: the Prometheus text format, for the operator's credential (a scraper's bearer_token_file) or a
 * dashboard session. GET /api/cluster/history: the head's last hour as columns (history.ts has the shape).
 */
export function metricsRoutes(o: { metrics: HeadMetrics; history: Pick<HeadHistory, 'json'> }): Route[] {
  return [
    {
      method: 'GET', path: '/metrics',
      handle: async ({ res }) => {
        const text = await o.metrics.text();
        res.writeHead(200, { 'content-type': o.metrics.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    },
    { method: 'GET', path: '/api/cluster/history', handle: ({ res }) => sendJson(res, 200, o.history.json()) },
  ];
}
