import { useEffect, useState } from 'preact/hooks';
import type { DashboardState, JobExit, OutputPiece } from './types.js';

export interface Live {
  state: DashboardState | undefined;
  /** The followed job's output so far, and its end once it has one. */
  output: OutputPiece[];
  exit: JobExit | undefined;
  missing: boolean;
  /** False while the stream is down (the browser's EventSource reconnects by itself). */
  connected: boolean;
}

/**
 * The page's one live connection: the head's whole view whenever it changes and, on a job's page, that job's
 * output as it is printed. No table polls on its own.
 */
export function useLive(job: string | undefined): Live {
  const [live, setLive] = useState<Live>({ state: undefined, output: [], exit: undefined, missing: false, connected: false });
  useEffect(() => {
    setLive((l) => ({ ...l, output: [], exit: undefined, missing: false }));
    const es = new EventSource(`/api/dashboard/events${job ? `?job=${encodeURIComponent(job)}` : ''}`);
    // A reconnect replays the job's output from its start: what the page has is replaced, not added to.
    let seen = 0;
    es.onopen = () => {
      seen = 0;
      setLive((l) => ({ ...l, connected: true, output: [] }));
    };
    es.onerror = () => setLive((l) => ({ ...l, connected: false }));
    es.addEventListener('state', (e) => {
      const state = JSON.parse((e as MessageEvent<string>).data) as DashboardState;
      setLive((l) => ({ ...l, state }));
    });
    es.addEventListener('output', (e) => {
      const piece = JSON.parse((e as MessageEvent<string>).data) as OutputPiece;
      if (piece.at !== null && piece.at + piece.text.length <= seen) return;
      if (piece.at !== null) seen = piece.at + piece.text.length;
      setLive((l) => ({ ...l, output: [...l.output, piece] }));
    });
    es.addEventListener('exit', (e) => setLive((l) => ({ ...l, exit: JSON.parse((e as MessageEvent<string>).data) as JobExit })));
    es.addEventListener('missing', () => setLive((l) => ({ ...l, missing: true })));
    return () => es.close();
  }, [job]);
  return live;
}
