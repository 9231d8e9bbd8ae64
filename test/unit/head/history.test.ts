import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { HeadHistory } from '../../../src/head/history-sampler.js';
import { type ClusterReading, columns, dueSlot, HISTORY_INTERVAL_MS, HISTORY_SAMPLES, type HistoryJson, MAX_SERIES, Ring, sampleOf, untilNextSlot } from '../../../src/head/history.js';

const node = (nodeType: string, state: 'ALIVE' | 'DRAINING' | 'DEAD', total: Record<string, number>, available: Record<string, number>) => ({ nodeType, state, total, available });

describe('the head\'s history: ring buffer', () => {
  it('keeps the last `capacity` items, oldest first, once it wraps', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 7; i++) r.push(i);
    assert.deepEqual(r.toArray(), [5, 6, 7]);
    assert.equal(r.size, 3);
    assert.equal(r.last(), 7);
  });
  it('before it fills, holds what was pushed', () => {
    const r = new Ring<number>(3);
    assert.deepEqual([r.toArray(), r.last()], [[], undefined]);
    r.push(1);
    r.push(2);
    assert.deepEqual(r.toArray(), [1, 2]);
  });
  it('one hour of 5 s samples is 720', () => assert.equal(HISTORY_SAMPLES * HISTORY_INTERVAL_MS, 3_600_000));
});

describe('the head\'s history: when a sample is due (pure)', () => {
  const CASES: [string, number | undefined, number, number | undefined][] = [
    ['the first sample is due at once, in the slot of now', undefined, 12_345, 10_000],
    ['a second sample in the same slot is not due', 10_000, 14_999, undefined],
    ['the next slot\'s sample is due when it starts', 10_000, 15_000, 15_000],
    ['after missed slots, the sample is for the slot of now, not the ones missed', 10_000, 31_000, 30_000],
    ['a clock that went back takes no sample', 30_000, 20_000, undefined],
  ];
  for (const [what, last, now, due] of CASES) it(what, () => assert.equal(dueSlot(last, now), due));
  it('the timer waits until the next slot starts', () => {
    assert.equal(untilNextSlot(12_000), 3000);
    assert.equal(untilNextSlot(15_000), 5000);
  });
});

describe('the head\'s history: what a sample holds', () => {
  const reading: ClusterReading = {
    nodes: [
      node('cpu', 'ALIVE', { CPU: 4, memory: 8e9 }, { CPU: 1, memory: 2e9 }),
      node('cpu', 'DRAINING', { CPU: 4, memory: 8e9 }, { CPU: 4, memory: 8e9 }),
      node('cpu', 'DEAD', { CPU: 4 }, { CPU: 0 }),
      node('gpu', 'ALIVE', { CPU: 8, GPU: 2, 'accelerator_type:A100': 1 }, { CPU: 8, GPU: 1, 'accelerator_type:A100': 1 }),
    ],
    demands: [{ count: 3, infeasible: false }, { count: 2, infeasible: true }],
  };
  const s = sampleOf(reading, 5000);
  const VALUES: [string, number][] = [
    ['used:CPU', 3], ['total:CPU', 16], ['used:memory', 6e9], ['total:memory', 16e9], ['used:GPU', 1], ['total:GPU', 2],
    ['used:accelerator_type:A100', 0], ['total:accelerator_type:A100', 1], ['nodes:cpu', 2], ['nodes:gpu', 1],
    ['demands:pending', 3], ['demands:infeasible', 2],
  ];
  for (const [name, value] of VALUES) it(`${name} is ${value}: dead nodes left out, infeasible requests apart`, () => assert.equal(s.values.get(name), value));
  it('units: resources in count or bytes, nodes, requests', () => {
    const j = columns([s]);
    assert.deepEqual([j.units['used:CPU'], j.units['total:memory'], j.units['used:accelerator_type:A100'], j.units['nodes:cpu'], j.units['demands:pending']],
      ['count', 'bytes', 'count', 'nodes', 'requests']);
  });
  it('past MAX_SERIES names a sample keeps no more (a bounded buffer whatever the custom resources), the demands always', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_SERIES }, (_, i) => [`r${i}`, 1]));
    const big = sampleOf({ nodes: [node('x', 'ALIVE', many, many)], demands: [] }, 0);
    assert.equal(big.values.size, MAX_SERIES);
    assert.equal(big.values.get('demands:pending'), 0);
  });
});

describe('the head\'s history: columns for a chart', () => {
  const at = (t: number, values: Record<string, number>) => ({ t, values: new Map(Object.entries(values)) });
  it('one column per name, as long as t, in unix seconds; a name that came later is null before it', () => {
    const j = columns([at(5000, { a: 1 }), at(10_000, { a: 2, b: 7 })]);
    assert.deepEqual(j, { interval_s: 5, t: [5, 10], series: { a: [1, 2], b: [null, 7] }, units: { a: 'count', b: 'count' } } satisfies HistoryJson);
  });
  it('a missed slot is a null row an interval after the last sample, so the line breaks there', () => {
    const j = columns([at(5000, { a: 1 }), at(25_000, { a: 2 })]);
    assert.deepEqual([j.t, j.series.a], [[5, 10, 25], [1, null, 2]]);
  });
  it('new rows after a gap from the sample before them start with the null row', () => {
    const j = columns([at(40_000, { a: 3 })], at(10_000, { a: 1 }));
    assert.deepEqual([j.t, j.series.a], [[15, 40], [null, 3]]);
  });
});

describe('the head\'s history: sampling on a manual clock (HeadHistory)', () => {
  const make = () => {
    const clock = { t: 1_000 };
    let cpu = 0;
    const history = new HeadHistory({
      clock: { now: () => clock.t },
      read: () => ({ nodes: [node('w', 'ALIVE', { CPU: 4 }, { CPU: 4 - cpu })], demands: [] }),
    });
    return { clock, history, use: (n: number) => { cpu = n; } };
  };

  it('takes one sample per slot, whatever the number of ticks in it', () => {
    const { clock, history, use } = make();
    for (const [t, cpu] of [[1_000, 1], [2_000, 2], [5_000, 3], [9_999, 4], [10_000, 2]] as const) {
      clock.t = t;
      use(cpu);
      history.tick();
    }
    assert.deepEqual([history.json().t, history.json().series['used:CPU']], [[0, 5, 10], [1, 3, 2]]);
  });

  it('keeps an hour: the ring wraps and the oldest samples go', () => {
    const { clock, history } = make();
    for (let i = 0; i < HISTORY_SAMPLES + 10; i++) {
      clock.t = i * HISTORY_INTERVAL_MS;
      history.tick();
    }
    const j = history.json();
    assert.equal(j.t.length, HISTORY_SAMPLES);
    assert.equal(j.t[0], 50);
    assert.equal(j.t.at(-1), (HISTORY_SAMPLES + 9) * 5);
  });

  it('each new sample goes to the live stream\'s listeners as the rows to append, a gap\'s null row first', () => {
    const { clock, history } = make();
    const heard: HistoryJson[] = [];
    const unsubscribe = history.subscribe((rows) => heard.push(rows));
    history.tick();
    clock.t = 6_000;
    history.tick();
    clock.t = 21_000; // the head stalled past two slots
    history.tick();
    unsubscribe();
    clock.t = 26_000;
    history.tick();
    assert.deepEqual(heard.map((h) => h.t), [[0], [5], [10, 20]]);
    assert.deepEqual(heard[2]?.series['used:CPU'], [null, 0]);
  });

  it('a restarted head starts an empty hour (the ring is memory only): nothing from before it, no line joined to it', () => {
    const first = make();
    for (const t of [0, 5_000, 10_000]) {
      first.clock.t = t;
      first.history.tick();
    }
    assert.equal(first.history.json().t.length, 3);
    const restarted = make(); // a new head process
    assert.deepEqual(restarted.history.json(), { interval_s: 5, t: [], series: {}, units: {} });
    restarted.clock.t = 60_000;
    restarted.history.tick();
    assert.deepEqual([restarted.history.json().t, restarted.history.json().series['nodes:w']], [[60], [1]]);
  });

  it('started, it samples at once and then at the start of each slot of the head\'s clock, until stopped', async () => {
    const history = new HeadHistory({ clock: { now: () => Date.now() }, intervalMs: 20, read: () => ({ nodes: [], demands: [] }) });
    const heard: number[] = [];
    const three = new Promise<void>((resolve) => history.subscribe((rows) => {
      heard.push(...rows.t.filter((_, i) => rows.series['demands:pending']?.[i] !== null));
      if (heard.length === 3) resolve();
    }));
    history.start();
    await three;
    history.stop();
    assert.ok(heard.every((t, i) => Math.round(t * 1000) % 20 === 0 && (i === 0 || t > (heard[i - 1] as number))), heard.join(', '));
  });
});
