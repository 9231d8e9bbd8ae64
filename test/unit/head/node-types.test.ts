import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { NodeTypes } from '../../../src/head/node-types.js';

function config(o: { maxWorkers?: number; gpuMax?: number; cpuResources?: Record<string, number> } = {}): ClusterConfig {
  return applyDefaults({
    provider: { type: 'process' }, max_workers: o.maxWorkers ?? 10, head_node_type: 'head',
    available_node_types: {
      head: { resources: { CPU: 0 } },
      cpu: { resources: o.cpuResources ?? { CPU: 4 }, min_workers: 0, max_workers: 10 },
      gpu: { resources: { CPU: 8, GPU: 1 }, min_workers: 0, max_workers: o.gpuMax ?? 2 },
    },
  });
}

const workers = (...types: string[]) => types.map((nodeType) => ({ nodeType }));

describe('node types and max_workers (NodeTypes)', () => {
  it('lists the config\'s types in order with their declared resources', () => {
    const t = new NodeTypes(config());
    assert.deepEqual(t.list().map((x) => x.name), ['head', 'cpu', 'gpu']);
    assert.deepEqual(t.resourcesOf('gpu'), { CPU: 8, GPU: 1 });
    assert.deepEqual(t.resourcesOf('nope'), {});
    assert.equal(t.maxNodes(), 11);
  });

  const LEARN: [string, Record<string, number>, Record<string, number>[], Record<string, number>][] = [
    ['a type declared without resources learns them from its first node', {}, [{ CPU: 16 }, { CPU: 2 }], { CPU: 16 }],
    ['an empty registration teaches nothing; the next node does', {}, [{}, { CPU: 2 }], { CPU: 2 }],
    ['a declared type keeps what it declares', { CPU: 4 }, [{ CPU: 16 }], { CPU: 4 }],
    ['a declared {CPU: 0} stays empty (keeps work off the type)', { CPU: 0 }, [{ CPU: 16 }], {}],
  ];
  for (const [title, declared, registrations, want] of LEARN) {
    it(title, () => {
      const t = new NodeTypes(config({ cpuResources: declared }));
      for (const r of registrations) t.learn('cpu', r);
      assert.deepEqual(t.resourcesOf('cpu'), want);
      assert.deepEqual(t.list().find((x) => x.name === 'cpu')?.resources, toFixed(want));
    });
  }

  it('a type not in the config learns nothing', () => {
    const t = new NodeTypes(config());
    t.learn('other', { CPU: 1 });
    assert.deepEqual(t.list().map((x) => x.name), ['head', 'cpu', 'gpu']);
  });

  const GROW: [string, { maxWorkers?: number; gpuMax?: number }, Record<string, number>, { nodeType: string }[], boolean][] = [
    ['a fitting type below its max: yes', {}, { CPU: 1 }, workers('cpu'), true],
    ['the cluster at max_workers: no', { maxWorkers: 2 }, { CPU: 1 }, workers('cpu', 'gpu'), false],
    ['the only fitting type at its own max_workers: no', { gpuMax: 1 }, { GPU: 1 }, workers('gpu'), false],
    ['no type fits the request: no', {}, { CPU: 64 }, [], false],
  ];
  for (const [title, c, need, running, want] of GROW) {
    it(`can the cluster grow for a request? ${title}`, () => assert.equal(new NodeTypes(config(c)).canGrowFor(toFixed(need), running), want));
  }

  it('follows a live config change, and keeps what it learned', () => {
    const t = new NodeTypes(config({ maxWorkers: 1, cpuResources: {} }));
    t.learn('cpu', { CPU: 2 });
    assert.equal(t.canGrowFor(toFixed({ CPU: 1 }), workers('cpu')), false);
    t.reconfigure(config({ maxWorkers: 5, cpuResources: {} }));
    assert.equal(t.canGrowFor(toFixed({ CPU: 1 }), workers('cpu')), true);
    assert.equal(t.maxNodes(), 6);
    assert.deepEqual(t.resourcesOf('cpu'), { CPU: 2 });
  });
});
