import { Charts } from './charts.js';
import { NodeLog } from './node-log.js';
import { duration, resources, time, usedOfTotal } from './format.js';
import type { DashboardState } from './types.js';

const State = ({ s }: { s: string }) => <span class={`state state-${s.toLowerCase()}`}>{s}</span>;
const NodeLink = ({ id }: { id: string | null }) => (id === null ? <span>—</span> : <a href={`#/node/${encodeURIComponent(id)}`}>{id}</a>);

export function ClusterPage({ s }: { s: DashboardState }) {
  const st = s.status;
  const detail = new Map(s.nodeDetails.map((d) => [d.nodeId, d]));
  return (
    <section id="page-cluster">
      <h2>Cluster {st.clusterName}</h2>
      <p class="summary">head {st.headAddress} · runtime {st.runtimeVersion} · tasks: {st.tasks.running} running, {st.tasks.pending} pending, {st.tasks.finished} finished, {st.tasks.failed} failed</p>
      <Charts state={s} />
      <h3>Nodes</h3>
      <table id="nodes">
        <thead><tr><th>node</th><th>type</th><th>kind</th><th>state</th><th>resources used / total</th><th>in use because</th></tr></thead>
        <tbody>
          {st.nodes.map((n) => (
            <tr key={n.nodeId}>
              <td><NodeLink id={n.nodeId} /></td><td>{n.nodeType}</td><td>{n.kind}</td><td><State s={n.state} /></td>
              <td>{usedOfTotal(n.total, n.available)}</td><td>{detail.get(n.nodeId)?.busy ?? 'idle'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function AutoscalerPage({ s }: { s: DashboardState }) {
  const a = s.status.autoscaler;
  const recent = (a?.events ?? []).filter((e) => e.kind === 'launch' || e.kind === 'terminate').slice(-10);
  return (
    <section id="page-autoscaler">
      <h2>Autoscaler</h2>
      {a?.stopped !== undefined && <p class="error">launching stopped: {a.stopped}</p>}
      <h3>Pending and infeasible demands</h3>
      <table id="demands">
        <thead><tr><th>resources</th><th>count</th><th>from</th><th>why it waits</th></tr></thead>
        <tbody>
          {s.status.demands.map((d, i) => {
            const why = a?.pending.find((p) => JSON.stringify(p.resources) === JSON.stringify(d.resources))?.why;
            return (
              <tr key={i} class={d.infeasible ? 'infeasible' : ''}>
                <td>{resources(d.resources)}</td><td>{d.count}</td><td>{d.source}</td>
                <td>{why ?? (d.infeasible ? 'infeasible: no node type offers this' : 'waiting for room')}</td>
              </tr>
            );
          })}
          {(a?.pending ?? []).filter((p) => !s.status.demands.some((d) => JSON.stringify(d.resources) === JSON.stringify(p.resources))).map((p, i) => (
            <tr key={`p${i}`}><td>{resources(p.resources)}</td><td>{p.count}</td><td>request</td><td>{p.why}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Workers kept, and why</h3>
      <table id="kept">
        <thead><tr><th>node</th><th>why</th></tr></thead>
        <tbody>{(a?.nodes ?? []).map((n) => <tr key={n.nodeId}><td><NodeLink id={n.nodeId} /></td><td>{n.why}</td></tr>)}</tbody>
      </table>
      {(a?.launching.length ?? 0) > 0 && (
        <><h3>Launching</h3><ul>{a?.launching.map((l) => <li key={l.nodeId}>{l.nodeId} ({l.nodeType}): {l.status}</li>)}</ul></>
      )}
      <h3>Latest launches and terminations</h3>
      <ul id="plan">{recent.map((e) => <li key={e.seq}>{time(e.at)} {e.message}</li>)}</ul>
      <h3>Events (as <code>raylaunch monitor</code> prints them)</h3>
      <pre id="events">{s.events.map((e) => e.text).join('\n') || 'no events yet'}</pre>
    </section>
  );
}

export function JobsPage({ s, now }: { s: DashboardState; now: number }) {
  return (
    <section id="page-jobs">
      <h2>Jobs</h2>
      <table id="jobs">
        <thead><tr><th>job</th><th>name</th><th>state</th><th>duration</th><th>exit code</th></tr></thead>
        <tbody>
          {[...s.status.jobs].reverse().map((j) => (
            <tr key={j.jobId}>
              <td><a href={`#/job/${encodeURIComponent(j.jobId)}`}>{j.jobId}</a></td><td>{j.name}</td><td><State s={j.state} /></td>
              <td>{duration((j.endedAt ?? now) - j.startedAt)}</td><td>{j.exitCode ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ActorsPage({ s }: { s: DashboardState }) {
  return (
    <section id="page-actors">
      <h2>Actors</h2>
      <table id="actors">
        <thead><tr><th>actor</th><th>class</th><th>name</th><th>state</th><th>node</th><th>restarts</th><th>holds</th><th>error</th></tr></thead>
        <tbody>
          {s.status.actors.map((a) => (
            <tr key={a.actorId}>
              <td>{a.actorId}</td><td>{a.cls}</td><td>{a.name ?? '—'}</td><td><State s={a.state} /></td><td><NodeLink id={a.nodeId} /></td>
              <td>{a.restarts}</td><td>{resources(a.resources)}</td><td class="error">{s.actorErrors[a.actorId] ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Placement groups</h2>
      <table id="groups">
        <thead><tr><th>group</th><th>name</th><th>strategy</th><th>state</th><th>bundles</th></tr></thead>
        <tbody>
          {s.status.placementGroups.map((g) => (
            <tr key={g.pgId}>
              <td>{g.pgId}</td><td>{g.name ?? '—'}</td><td>{g.strategy}</td><td><State s={g.state} /></td>
              <td>{g.bundles.map((b, i) => <div key={i}>{resources(b.resources)} on <NodeLink id={b.nodeId} /></div>)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function NodePage({ s, id }: { s: DashboardState; id: string }) {
  const n = s.status.nodes.find((x) => x.nodeId === id);
  const d = s.nodeDetails.find((x) => x.nodeId === id);
  if (!n) return <section id="page-node"><h2>Node {id}</h2><p>no such node on this cluster</p></section>;
  const actors = s.status.actors.filter((a) => a.nodeId === id && a.state !== 'DEAD');
  const failures = s.status.failures.filter((f) => f.nodeId === id);
  return (
    <section id="page-node">
      <h2>Node {id}</h2>
      <dl>
        <dt>type</dt><dd>{n.nodeType} ({n.kind})</dd>
        <dt>state</dt><dd><State s={n.state} />{n.drainReason !== undefined ? ` (${n.drainReason})` : ''}</dd>
        <dt>address</dt><dd>{n.address} (agent pid {n.pid})</dd>
        <dt>resources used / total</dt><dd>{usedOfTotal(n.total, n.available)}</dd>
        <dt>tasks running</dt><dd id="node-tasks">{d?.tasksRunning ?? 0}</dd>
        <dt>objects held</dt><dd>{d?.objectsHeld ?? 0}</dd>
        <dt>in use because</dt><dd>{d?.busy ?? 'idle'}</dd>
      </dl>
      <h3>Worker processes</h3>
      <ul id="node-workers">{(d?.workers ?? []).map((w) => <li key={w.clientId}>{w.clientId} (job {w.jobId})</li>)}</ul>
      <h3>Actors on it</h3>
      <ul>{actors.map((a) => <li key={a.actorId}>{a.cls} {a.actorId} <State s={a.state} /></li>)}</ul>
      <NodeLog id={id} />
      <h3>Failures on it</h3>
      <pre>{failures.map((f) => `${time(f.at)}  ${f.kind}  ${f.what}: ${f.message}`).join('\n') || 'none'}</pre>
    </section>
  );
}
