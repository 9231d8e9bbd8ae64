import { RUNTIME_VERSION } from '../config/hash.js';
import { formatResources } from '../common/resources.js';
import { paint, stateStyle, visible } from './colour.js';
import { printable, printableDeep } from './printable.js';
import type { DownResult } from '../launcher/down.js';
import type { KnownCluster } from '../launcher/known-clusters.js';
import type { UpResult } from '../launcher/up.js';
import type { AutoscalerEvent } from '../protocol/messages.js';
import type { JobJson, StatusJson } from './status-json.js';

/** Columns padded to their widest cell as it shows (colour codes take no room); the last column is not padded. */
export function table(rows: string[][]): string[] {
  const width = (c: string | undefined) => visible(c ?? '').length;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => width(r[i])))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(c))))).join('  ').trimEnd());
}

/** A state (ALIVE, FAILED, …) in its colour. */
const state = (colour: boolean, s: string) => paint(colour, stateStyle(s), s);

function usage(total: Readonly<Record<string, number>>, available: Readonly<Record<string, number>>): string {
  const keys = Object.keys(total).filter((k) => (total[k] ?? 0) > 0);
  if (keys.length === 0) return '-';
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return keys.map((k) => `${k} ${round((total[k] ?? 0) - (available[k] ?? 0))}/${round(total[k] ?? 0)}`).join(', ');
}

export function formatStatus(status: StatusJson, colour = false): string {
  const s = printableDeep(status);
  const lines = [`cluster ${s.cluster_name}  head ${s.head_address}  runtime ${s.runtime_version}  cli ${RUNTIME_VERSION}`, ''];
  lines.push(...table([
    ['NODE', 'TYPE', 'KIND', 'STATE', 'USED/TOTAL'],
    ...s.nodes.map((n) => [n.node_id, n.node_type, n.kind, `${state(colour, n.state)}${n.drain_reason ? ` (${n.drain_reason})` : ''}`, usage(n.total, n.available)]),
  ]));
  lines.push('', `tasks: ${s.tasks.pending} pending, ${s.tasks.running} running, ${s.tasks.finished} finished, ${s.tasks.failed} failed`);
  const pending = s.demands.filter((d) => !d.infeasible);
  const infeasible = s.demands.filter((d) => d.infeasible);
  if (pending.length > 0) lines.push(`pending demands (waiting for room): ${pending.map((d) => `${formatResources(d.resources)} x${d.count}${d.source === 'task' ? '' : ` (${d.source.replace('_', ' ')})`}`).join(', ')}`);
  if (infeasible.length > 0) lines.push(`infeasible (no node type offers this): ${infeasible.map((d) => `${formatResources(d.resources)} x${d.count}`).join(', ')}`);
  const actors = s.actors.filter((a) => a.state !== 'DEAD');
  if (actors.length > 0) {
    lines.push('', ...table([
      ['ACTOR', 'CLASS', 'NAME', 'STATE', 'NODE', 'RESTARTS'],
      ...actors.map((a) => [a.actor_id, a.cls, a.name ?? '', state(colour, a.state), a.node_id ?? '', String(a.restarts)]),
    ]));
  }
  if (s.placement_groups.length > 0) {
    lines.push('', ...table([
      ['PLACEMENT GROUP', 'STRATEGY', 'STATE', 'BUNDLES'],
      ...s.placement_groups.map((g) => [g.name ?? g.placement_group_id, g.strategy, state(colour, g.state), g.bundles.map((b) => `${formatResources(b.resources)}@${b.node_id ?? '-'}`).join(' ')]),
    ]));
  }
  if (s.requested_resources.length > 0) lines.push('', `requested resources: ${s.requested_resources.map((r) => formatResources(r)).join(', ')}`);
  if (s.failures.length > 0) {
    lines.push('', `recent failures (${s.tasks.failed} tasks failed in all):`);
    for (const f of s.failures.slice(-10)) lines.push(`  ${new Date(f.at).toISOString().slice(11, 19)}  ${f.kind.padEnd(10)} ${f.what}: ${f.message}`);
  }
  const a = s.autoscaler;
  if (a) {
    lines.push('', 'autoscaler:');
    if (a.stopped) lines.push(`  launching stopped: ${a.stopped}`);
    for (const p of a.pending) lines.push(`  pending ${formatResources(p.resources)} x${p.count}: ${p.why}`);
    for (const l of a.launching) lines.push(`  ${l.node_id}: launching (${l.node_type}): ${l.status}`);
    for (const n of a.nodes) lines.push(`  ${n.node_id}: ${n.why}`);
    for (const e of a.events.slice(-8)) lines.push(`  ${formatEvent(e)}`);
    if (a.events.length === 0 && a.pending.length === 0 && a.launching.length === 0) lines.push('  nothing to do');
  }
  if (s.jobs.length > 0) lines.push('', formatJobs(s.jobs, colour));
  return lines.join('\n');
}

export function formatUp(result: UpResult, configArg: string | undefined): string {
  const r = printableDeep(result);
  const ref = configArg ?? `-c ${r.cluster_name}`;
  const workers = r.nodes.filter((n) => n.kind === 'worker').length;
  return [
    `cluster ${r.cluster_name} is ${r.unchanged ? 'already ' : ''}up (${r.provider} provider)`,
    `  head       ${r.head_node_id} at ${r.head_address}`,
    `  nodes      ${r.nodes.length} (the head and ${workers} ${workers === 1 ? 'worker' : 'workers'})`,
    `  state      ${r.state_dir}`,
    '',
    ...table([
      ['NODE', 'TYPE', 'KIND', 'STATE', 'RESOURCES'],
      ...r.nodes.map((n) => [n.node_id, n.node_type, n.kind, n.state, formatResources(n.resources)]),
    ]),
    '',
    'next:',
    `  raylaunch submit ${ref} job.ts      run a job (its output streams here)`,
    `  raylaunch status ${ref}             nodes, resources, tasks and jobs`,
    `  raylaunch down ${ref}               stop every node`,
  ].join('\n');
}

/**
 * What `down` did. With `workersOnly` (down --workers-only) the head keeps running, and the line says so and
 * whether min_workers were kept.
 */
const jobsStopped = (ids: readonly string[]) => (ids.length === 0 ? 'no running jobs' : `${ids.length} running ${ids.length === 1 ? 'job' : 'jobs'} stopped: ${ids.join(', ')}`);

export function formatDown(result: DownResult, workersOnly?: { keepMinWorkers: boolean }): string {
  const r = printableDeep(result);
  if (!r.existed) return `cluster ${r.cluster_name} is not running; nothing to do`;
  const n = r.terminated.length;
  const down = workersOnly
    ? `cluster ${r.cluster_name}: ${n} ${n === 1 ? 'worker' : 'workers'} terminated (the head keeps running; ${workersOnly.keepMinWorkers ? 'min_workers kept' : 'its autoscaler brings min_workers back'})`
    : `cluster ${r.cluster_name} is down (${n} ${n === 1 ? 'node' : 'nodes'} stopped, ${jobsStopped(r.jobs_stopped)})${r.logs ? `; logs of the last run: ${r.logs}` : ''}`;
  if (r.unreachable.length === 0) return down;
  return [down, 'these hosts could not be reached; raylaunch may still run there (run raylaunch down again once they are back):',
    ...r.unreachable.map((u) => `  ${u.host}: ${u.reason}`)].join('\n');
}

/** "3 h 12 min", "5 min", "40 s": how long ago, roughly. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export function formatClusters(known: readonly KnownCluster[], now: number, colour = false): string {
  const clusters = printableDeep(known);
  if (clusters.length === 0) return 'no clusters yet; start one with raylaunch up <config.yaml>';
  return table([
    ['CLUSTER', 'PROVIDER', 'STATE', 'HEAD', 'NODES', 'AGE'],
    ...clusters.map((c) => [`${c.name}${c.last ? ' *' : ''}`, c.provider ?? '-', state(colour, c.state), c.head_address ?? '-', c.nodes === null ? '-' : String(c.nodes), c.started_at === null ? '-' : formatAge(now - c.started_at)]),
  ]).join('\n');
}

export function formatJobs(list: readonly JobJson[], colour = false): string {
  const jobs = printableDeep(list);
  if (jobs.length === 0) return 'no jobs yet';
  const time = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
  return table([
    ['JOB', 'STATE', 'EXIT', 'NAME', 'STARTED', 'ENDED'],
    ...jobs.map((j) => [j.job_id, state(colour, j.status), j.exit_code === null ? '' : String(j.exit_code), j.name, time(j.start_time), time(j.end_time)]),
  ]).join('\n');
}

export function formatEvent(e: Pick<AutoscalerEvent, 'at' | 'kind' | 'message'>): string {
  return `${new Date(e.at).toISOString().slice(11, 19)}  ${printable(e.kind).padEnd(9)} ${printable(e.message)}`;
}
