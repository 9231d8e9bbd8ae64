// What the head says reaches the terminal as text: a task can name an actor, fail with a message, or register a
// node with whatever id and address it likes, and none of it may drive the operator's terminal or forge a row.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { visible } from '../../../src/cli/colour.js';
import { formatClusters, formatDown, formatEvent, formatJobs, formatStatus, formatUp } from '../../../src/cli/format.js';
import { nodeProgress } from '../../../src/cli/progress.js';
import { printable, printableText } from '../../../src/cli/printable.js';
import { renderError } from '../../../src/cli/render.js';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { HeadConnectionError } from '../../../src/launcher/errors.js';

// Window title, bell, clear screen, cursor up, a hidden-text attribute, an OSC 8 link, C1 CSI, a right-to-left
// override, a zero-width space, and a line break that would start a forged row.
const EVIL = 'x\u001b]0;pwned\u0007\u001b[2J\u001b[1A\u001b[8m\u001b]8;;http://e\u001b\\\u009b31m\u202egnp.exe\u200b\nFORGED ROW';
/** The control and formatting characters in a text, as code points (tab and line break aside). */
const controls = (s: string) => [...s].map((c) => c.codePointAt(0) ?? 0).filter((n) => (n < 0x20 && n !== 9 && n !== 10) || (n >= 0x7f && n <= 0x9f)
  || (n >= 0x200b && n <= 0x200f) || (n >= 0x202a && n <= 0x202e) || (n >= 0x2060 && n <= 0x2069) || n === 0xfeff);

const node = (id: string) => ({
  node_id: id, node_type: EVIL, kind: 'worker' as const, address: EVIL, state: 'ALIVE' as const, total: { CPU: 2, [EVIL]: 1 }, available: { CPU: 1, [EVIL]: 1 },
  pid: 1, last_heartbeat: 0, connected_at: null,
});
const job = { job_id: EVIL, name: EVIL, status: 'RUNNING' as const, exit_code: null, start_time: 0, end_time: null };
const STATUS: StatusJson = {
  cluster_name: EVIL, head_address: EVIL, runtime_version: EVIL, nodes: [node(EVIL), node('10.0.0.2')],
  demands: [{ resources: { [EVIL]: 1 }, count: 1, infeasible: true, source: 'task' }, { resources: { CPU: 1 }, count: 2, infeasible: false, source: 'task' }],
  jobs: [job], tasks: { pending: 0, running: 0, finished: 0, failed: 1 }, relayed_bytes: 0,
  actors: [{ actor_id: EVIL, cls: EVIL, name: EVIL, namespace: EVIL, job_id: EVIL, state: 'ALIVE', node_id: EVIL, restarts: 0, resources: {}, placement_group_id: null }],
  placement_groups: [{ placement_group_id: EVIL, name: EVIL, strategy: 'PACK', state: 'CREATED', bundles: [{ resources: { [EVIL]: 1 }, node_id: EVIL }] }],
  requested_resources: [{ [EVIL]: 1 }],
  failures: [{ at: 0, kind: 'task', what: EVIL, message: EVIL, node_id: EVIL }],
  autoscaler: {
    events: [{ at: 0, seq: 1, kind: 'terminate', node_id: EVIL, reason: EVIL, message: EVIL }], pending: [{ resources: { [EVIL]: 1 }, count: 1, why: EVIL }],
    nodes: [{ node_id: EVIL, why: EVIL }], launching: [{ node_id: EVIL, node_type: EVIL, status: EVIL }], stopped: EVIL, errors: 0,
  },
};

/** Lines whose first cell starts as a forged one would. */
const forged = (out: string) => out.split('\n').filter((l) => l.startsWith('FORGED'));

describe('what the head says, printed for a person', () => {
  const OUTPUTS: [string, () => string][] = [
    ['status', () => formatStatus(STATUS)],
    ['status in colour', () => visible(formatStatus(STATUS, true))],
    ['job list and job status', () => formatJobs([job])],
    ['monitor', () => formatEvent({ at: 0, kind: 'error', message: EVIL })],
    ['up', () => formatUp({
      cluster_name: EVIL, provider: 'local', head_address: EVIL, head_node_id: EVIL, unchanged: false, applied_live: [], state_dir: '/s',
      nodes: [{ node_id: EVIL, node_type: EVIL, kind: 'head', state: 'ALIVE', resources: { [EVIL]: 1 } }],
    }, undefined)],
    ['down', () => formatDown({ cluster_name: 'c', existed: true, terminated: [EVIL], unreachable: [{ host: EVIL, reason: EVIL }], jobs_stopped: [EVIL], logs: null })],
    ['clusters', () => formatClusters([{ name: 'c', provider: 'local', state: 'UP', head_address: EVIL, nodes: 1, started_at: 0, last: false }], 0)],
  ];
  for (const [what, out] of OUTPUTS) {
    it(`${what}: no control characters, no forged rows, the text itself kept`, () => {
      const text = out();
      assert.deepEqual(controls(text), []);
      assert.deepEqual(forged(text), []);
      assert.match(text, /x\]0;pwned\[2J\[1A\[8m\]8;;http:\/\/e\\\[?31mgnp\.exe FORGED ROW/);
    });
  }

  it('an error message keeps its lines and loses its controls, as does its hint', () => {
    const out = renderError(new HeadConnectionError(`the head closed the connection: ${EVIL}\nsecond line`, { hint: EVIL }), false);
    assert.deepEqual(controls(out), []);
    assert.match(out, /^error: the head closed the connection: x\]0;pwned.*gnp\.exe$\nFORGED ROW\nsecond line\nhint: x\]0;pwned/m);
  });

  it('up\'s node progress prints node ids, states and details from the head as text', () => {
    let written = '';
    const out = { write: (s: string) => (written += s), isTTY: false } as unknown as NodeJS.WriteStream;
    const p = nodeProgress(out, 'plain');
    p.node(EVIL, EVIL, EVIL);
    p.line(`a line\n${EVIL}`);
    assert.deepEqual(controls(written), []);
    assert.equal(written.split('\n').filter((l) => l.startsWith('FORGED')).length, 1, 'only the line that has a line break of its own');
  });

  const FIELDS: [string, string][] = [['plain text', 'plain text'], ['a\tb\nc', 'a b c'], ['\u001b[31mred\u001b[39m', '[31mred[39m'], ['né 東京 ✓', 'né 東京 ✓']];
  for (const [input, shown] of FIELDS) {
    it(`printable(${JSON.stringify(input)}) is ${JSON.stringify(shown)}`, () => assert.equal(printable(input), shown));
  }

  it('printableText keeps line breaks and tabs', () => assert.equal(printableText('a\tb\r\nc\u0007'), 'a\tb\nc'));
});
