import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { FakeProvider, type InjectedError } from '../../../providers/fake/index.js';
import { CapacityError, ProviderAuthError, ProviderConfigError, TransientProviderError } from '../../../providers/errors.js';
import { providerConformance } from './conformance.js';

providerConformance('fake', async () => {
  const provider = new FakeProvider(`c${Math.random()}`);
  return { provider, crash: async (id) => { provider.nodes.delete(id); }, cleanup: async () => undefined };
});

describe('fake provider error injection', () => {
  const CASES: [InjectedError, new (...a: never[]) => Error][] = [
    ['capacity', CapacityError], ['quota', CapacityError], ['auth', ProviderAuthError], ['config', ProviderConfigError], ['transient', TransientProviderError],
  ];
  for (const [kind, cls] of CASES) {
    it(`throws the ${kind} error class once, then works`, async () => {
      const p = new FakeProvider();
      p.failNext('launch', kind);
      await assert.rejects(p.launch({ requestId: 'r', nodeType: 't', kind: 'worker', count: 1 }), cls);
      await p.launch({ requestId: 'r', nodeType: 't', kind: 'worker', count: 1 });
      assert.equal((await p.listNodes()).length, 1);
    });
  }
});
