import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { FakeProvider } from '../../../providers/fake/index.js';
import { nodeDigestsFile } from '../../../src/common/node-args.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { AGENT_RESTART_GRACE_MS, Autoscaler, type ClusterFacts } from '../../../src/head/autoscaler/loop.js';
import { HeadCredentials } from '../../../src/head/credential-store.js';

const config = applyDefaults({
  provider: { type: 'process' }, max_workers: 4, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, small: { resources: { CPU: 1 }, min_workers: 2, max_workers: 4 } },
});

/** How a node leaves: the autoscaler's own decision on a tick, or the operator's `down --workers-only`. */
const WAYS: [string, (a: Autoscaler, victim: string, s: { facts: ClusterFacts; advance(ms: number): void }) => Promise<void>][] = [
  ['a node declared dead and terminated by the autoscaler', async (a, victim, s) => {
    const f = s.facts.nodes.find((n) => n.nodeId === victim) as { alive: boolean; diedAt?: number };
    f.alive = false;
    f.diedAt = 0;
    s.advance(AGENT_RESTART_GRACE_MS + 1000);
    await a.tick();
  }],
  ['a worker terminated by down --workers-only', async (a) => {
    await a.terminateWorkers(false);
  }],
];

describe('node credentials are revoked when their node is terminated (the head\'s table and node-credentials.json)', () => {
  let dir: string;
  let made: Autoscaler[] = [];
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rl-node-cred-')); });
  afterEach(() => {
    for (const a of made) a.stop();
    made = [];
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [title, leave] of WAYS) {
    it(`${title}: its credential opens nothing, now or after a head restart; the others still do`, async () => {
      let now = 1_000_000;
      const provider = new FakeProvider();
      provider.nodes.set('head', { id: 'head', nodeType: 'head', kind: 'head', status: 'running', tags: {} });
      const credentials = new HeadCredentials(dir);
      const facts: ClusterFacts = { nodes: [], demands: [], placementGroups: [], requested: [] };
      const a = new Autoscaler({
        provider, config, clock: { now: () => now }, facts: () => facts, drain: () => undefined, launchHash: () => 'h',
        revokeNodes: (ids) => credentials.revokeNodes(ids),
      });
      made.push(a);
      await a.tick();
      // Each worker's agent holds the credential the head minted for it, as the process provider hands it over.
      const secrets = new Map<string, string>();
      for (const n of provider.nodes.values()) {
        if (n.kind !== 'worker') continue;
        provider.start(n.id);
        secrets.set(n.id, credentials.mintNode(n.id));
        facts.nodes.push({ nodeId: n.id, nodeType: n.nodeType, kind: 'worker', alive: true, total: { CPU: 1 }, available: { CPU: 1 }, lastUsedAt: now, registeredAt: now });
      }
      assert.equal(secrets.size, 2);
      now += 1000;
      await a.tick(); // the autoscaler sees them running
      const [victim, other] = [...secrets.keys()] as [string, string];
      assert.deepEqual(credentials.table.lookup(`Bearer ${secrets.get(victim)}`), { kind: 'node', nodeId: victim });

      await leave(a, victim, { facts, advance: (ms) => { now += ms; } });

      assert.ok(!provider.nodes.has(victim), `${victim} was terminated: ${provider.calls.join(', ')}`);
      assert.equal(credentials.table.lookup(`Bearer ${secrets.get(victim)}`), undefined, 'the head admits the gone node no more');
      assert.ok(!(victim in (JSON.parse(readFileSync(nodeDigestsFile(dir), 'utf8')) as Record<string, string>)), 'its digest left node-credentials.json');
      assert.equal(new HeadCredentials(dir).table.lookup(`Bearer ${secrets.get(victim)}`), undefined, 'a restarted head does not admit it either');
      if (provider.nodes.has(other)) assert.deepEqual(new HeadCredentials(dir).table.lookup(`Bearer ${secrets.get(other)}`), { kind: 'node', nodeId: other });
    });
  }
});
