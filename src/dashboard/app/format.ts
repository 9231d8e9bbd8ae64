/** How the pages write numbers, resources and times. */
const BYTES = new Set(['memory', 'object_store_memory']);

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i] ?? ''}`;
}

export function amount(name: string, n: number): string {
  return BYTES.has(name) ? bytes(n) : String(Math.round(n * 100) / 100);
}

/** `CPU 1/4, memory 1.0 GiB/4.0 GiB`: used of total, per resource. */
export function usedOfTotal(total: Record<string, number>, available: Record<string, number>): string {
  return Object.keys(total).sort().map((k) => {
    const t = total[k] ?? 0;
    const used = Math.max(0, t - Math.max(0, available[k] ?? 0));
    return `${k} ${amount(k, used)}/${amount(k, t)}`;
  }).join(', ') || '—';
}

export function resources(r: Record<string, number>): string {
  return Object.entries(r).map(([k, v]) => `${k}: ${amount(k, v)}`).join(', ') || '{}';
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
