import { WebSocketServer } from 'ws';
import { refuse } from '../../common/admission.js';
import type { TailFrame } from '../../jobs-client/types.js';
import type { JobManager, JobSink } from '../jobs/job-manager.js';
import type { UpgradeRoute } from './router.js';

/** Past this much output unsent to a follower, it is closed: it reconnects from what it has (`from`). */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** A follower that cannot keep up; its `from` on reconnecting loses nothing. */
export const TOO_SLOW = 4008;

/**
 * GET /api/jobs/{id}/logs/tail?from=N, a WebSocket as in Ray: the job's output from character N on (what a
 * follower back after its connection dropped has not seen), then as it comes, then an `end` frame with the
 * job's status and exit code, and a normal close. Each frame is a JSON TailFrame.
 */
export function tailRoute(jobs: Pick<JobManager, 'follow' | 'unfollow' | 'record'>): UpgradeRoute {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  return {
    path: '/api/jobs/:id/logs/tail',
    handle: ({ req, socket, head, url, params }) => {
      const id = params.id ?? '';
      const fromText = url.searchParams.get('from') ?? '0';
      const from = Number(fromText);
      if (!/^\d+$/.test(fromText) || !Number.isSafeInteger(from)) return refuse(socket, 400, `from=${fromText}: the characters of output already seen, a whole number`);
      if (!jobs.record(id)) return refuse(socket, 404, `no job ${id} on this cluster: list the jobs with GET /api/jobs/`);
      wss.handleUpgrade(req, socket, head, (ws) => {
        const send = (f: TailFrame) => {
          if (ws.readyState !== ws.OPEN) return;
          ws.send(JSON.stringify(f));
          if (ws.bufferedAmount > MAX_BUFFERED) {
            jobs.unfollow(sink);
            ws.close(TOO_SLOW, 'the follower is too slow: reconnect with from= the characters seen');
          }
        };
        const sink: JobSink = {
          output: (stream, text, at) => send({ type: 'output', stream, text, ...(at !== undefined ? { at } : {}) }),
          exit: (status, exitCode) => {
            send({ type: 'end', status, driver_exit_code: exitCode });
            ws.close(1000, 'the job ended');
          },
        };
        ws.on('close', () => jobs.unfollow(sink));
        ws.on('error', () => jobs.unfollow(sink));
        // Deleted between the check above and the upgrade.
        if (!jobs.follow(id, sink, true, from)) ws.close(4004, `no job ${id} on this cluster`);
      });
    },
  };
}
