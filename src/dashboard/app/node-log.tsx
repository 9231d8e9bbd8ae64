import { useEffect, useState } from 'preact/hooks';

interface Log { file: string; text: string; truncated: boolean }

/** A node's log as the head holds it: read when the page opens and when asked again (a log is not a table to stream). */
export function NodeLog({ id }: { id: string }) {
  const [log, setLog] = useState<Log | string | undefined>(undefined);
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    let live = true;
    void fetch(`/api/dashboard/nodes/${encodeURIComponent(id)}/log`).then(async (r) => {
      const body = await r.json() as Log | { error: string };
      if (live) setLog('error' in body ? body.error : body);
    }, (e: Error) => live && setLog(e.message));
    return () => { live = false; };
  }, [id, asked]);
  return (
    <>
      <h3>Its log {typeof log === 'object' && <small>({log.file}{log.truncated ? ', the end of it' : ''})</small>} <button id="node-log-reload" onClick={() => setAsked((n) => n + 1)}>Reload</button></h3>
      <pre id="node-log">{log === undefined ? 'loading…' : typeof log === 'string' ? log : log.text || '(empty)'}</pre>
    </>
  );
}
