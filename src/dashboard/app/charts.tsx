import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { bytes } from './format.js';
import type { DashboardState, History } from './types.js';

/** The charts' groups: series names as the head's history names them (`used:CPU`, `nodes:<type>`, `demands:pending`). */
const GROUPS: { title: string; pick: (name: string) => boolean; bytes?: boolean }[] = [
  { title: 'CPU and GPU used / total', pick: (n) => /^(used|total):(CPU|GPU)$/.test(n) },
  { title: 'Memory used / total', pick: (n) => /^(used|total):(memory|object_store_memory)$/.test(n), bytes: true },
  { title: 'Custom resources used / total', pick: (n) => /^(used|total):/.test(n) && !/^(used|total):(CPU|GPU|memory|object_store_memory)$/.test(n) },
  { title: 'Nodes by type', pick: (n) => n.startsWith('nodes:') },
  { title: 'Pending demands', pick: (n) => n.startsWith('demands:') },
];

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
const HOUR_S = 3600;

/** One sample of the page's own, in the history's naming, from a state the stream sent (between the head's samples). */
export function sampleOf(s: DashboardState): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, v: number) => { out[k] = (out[k] ?? 0) + v; };
  for (const n of s.status.nodes) {
    if (n.state === 'DEAD') continue;
    add(`nodes:${n.nodeType}`, 1);
    for (const [k, t] of Object.entries(n.total)) {
      add(`total:${k}`, t);
      add(`used:${k}`, Math.max(0, t - Math.max(0, n.available[k] ?? 0)));
    }
  }
  out['demands:pending'] = 0;
  out['demands:infeasible'] = 0;
  for (const d of s.status.demands) add(d.infeasible ? 'demands:infeasible' : 'demands:pending', d.count);
  return out;
}

/** The head's last hour (fetched once), and a row of the page's own for each new state at most every interval. */
export function useHistory(state: DashboardState | undefined): History {
  const [h, setH] = useState<History>({ interval_s: 5, t: [], series: {} });
  useEffect(() => {
    void fetch('/api/cluster/history').then((r) => (r.ok ? r.json() as Promise<History> : undefined)).then((got) => {
      if (got) setH((cur) => merge(got, cur));
    }, () => undefined);
  }, []);
  useEffect(() => {
    if (!state) return;
    const now = Math.floor(Date.now() / 1000);
    setH((cur) => {
      const last = cur.t.at(-1);
      if (last !== undefined && now - last < cur.interval_s) return cur;
      return merge(cur, { interval_s: cur.interval_s, t: [now], series: Object.fromEntries(Object.entries(sampleOf(state)).map(([k, v]) => [k, [v]])) });
    });
  }, [state]);
  return h;
}

/** b's rows after a's, on the union of their names, the last hour kept. */
function merge(a: History, b: History): History {
  const names = [...new Set([...Object.keys(a.series), ...Object.keys(b.series)])];
  const t = [...a.t, ...b.t];
  const series: Record<string, (number | null)[]> = {};
  for (const n of names) series[n] = [...(a.series[n] ?? a.t.map(() => null)), ...(b.series[n] ?? b.t.map(() => null))];
  const from = t.findIndex((x) => x >= (t.at(-1) ?? 0) - HOUR_S);
  return { interval_s: a.interval_s, t: t.slice(from), series: Object.fromEntries(Object.entries(series).map(([k, v]) => [k, v.slice(from)])) };
}

function Chart({ title, names, h, isBytes }: { title: string; names: string[]; h: History; isBytes: boolean }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const key = names.join('|');
  useEffect(() => {
    if (!el.current) return undefined;
    const opts: uPlot.Options = {
      width: 520, height: 180,
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLOURS[i % COLOURS.length] ?? '#000', width: 2, dash: n.startsWith('total:') ? [6, 4] : undefined }))],
      axes: [{}, { size: 64, values: isBytes ? (_u: uPlot, vs: number[]) => vs.map((v) => bytes(v)) : undefined }],
      // Counts from zero, so a flat line reads as what it is.
      scales: {
        x: { time: true },
        y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max * 1.15)] },
      },
      legend: { live: false },
    };
    plot.current = new uPlot(opts, [[], ...names.map(() => [])], el.current);
    return () => plot.current?.destroy();
  }, [key]);
  useEffect(() => {
    const p = plot.current;
    if (!p) return;
    p.setData([h.t, ...names.map((n) => h.series[n] ?? h.t.map(() => null))] as uPlot.AlignedData);
    // At least the last five minutes, growing to the hour kept (uPlot's own range for a few points spans years).
    const last = h.t.at(-1);
    if (last !== undefined) p.setScale('x', { min: Math.min(h.t[0] ?? last, last - 300), max: last });
  }, [h, key]);
  return <figure class="chart" data-chart={title}><figcaption>{title}</figcaption><div ref={el} /></figure>;
}

export function Charts({ state }: { state: DashboardState | undefined }) {
  const h = useHistory(state);
  const names = Object.keys(h.series);
  return (
    <div class="charts">
      {GROUPS.map((g) => ({ g, ns: names.filter(g.pick).sort() })).filter(({ ns }) => ns.length > 0).map(({ g, ns }) => (
        <Chart key={g.title} title={g.title} names={ns} h={h} isBytes={g.bytes === true} />
      ))}
    </div>
  );
}
