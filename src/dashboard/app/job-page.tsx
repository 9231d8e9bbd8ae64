import { useState } from 'preact/hooks';
import { duration } from './format.js';
import type { Live } from './stream.js';

/** A job's output as it is printed, and a stop that asks first. The stop is the Jobs API's own route. */
export function JobPage({ id, live, now }: { id: string; live: Live; now: number }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const job = live.state?.status.jobs.find((j) => j.jobId === id);
  const ended = live.exit !== undefined || (job !== undefined && job.endedAt !== null);
  const stop = async () => {
    setAsking(false);
    const r = await fetch(`/api/jobs/${encodeURIComponent(id)}/stop`, { method: 'POST' });
    if (!r.ok) setError(`the head refused the stop: ${r.status} ${await r.text()}`);
  };
  return (
    <section id="page-job">
      <h2>Job {id}</h2>
      {live.missing && <p class="error">no job {id} on this cluster</p>}
      {job && (
        <p class="summary">
          {job.name} · <span id="job-state" class={`state state-${(live.exit?.state ?? job.state).toLowerCase()}`}>{live.exit?.state ?? job.state}</span> ·{' '}
          {duration((job.endedAt ?? now) - job.startedAt)} · exit code <span id="job-exit">{live.exit?.exitCode ?? job.exitCode ?? '—'}</span>
        </p>
      )}
      {!ended && !asking && <button id="stop" onClick={() => setAsking(true)}>Stop…</button>}
      {!ended && asking && (
        <div class="confirm" role="alertdialog">
          Stop job {id}? Its driver gets SIGTERM, then SIGKILL.{' '}
          <button id="stop-confirm" class="danger" onClick={() => void stop()}>Stop the job</button>{' '}
          <button id="stop-cancel" onClick={() => setAsking(false)}>Cancel</button>
        </div>
      )}
      {error !== undefined && <p class="error">{error}</p>}
      <pre id="output">{live.output.map((o, i) => <span key={i} class={o.stream}>{o.text}</span>)}</pre>
    </section>
  );
}
