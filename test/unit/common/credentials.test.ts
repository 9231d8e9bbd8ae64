import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { claimedKind, credentialDigest, CredentialTable, helloRefusal, type Identity, mintCredential } from '../../../src/common/credentials.js';

describe('credentials: the credential decides who a connection is', () => {
  const table = new CredentialTable();
  const operator = mintCredential('operator');
  table.addDigest(credentialDigest(operator), { kind: 'operator' });
  const node = table.mint('node', { kind: 'node', nodeId: 'w-1' });
  const job = table.mint('job', { kind: 'job', jobId: 'job-1' });
  const other = table.mint('job', { kind: 'job', jobId: 'job-2' });

  const LOOKUPS: [string, string | undefined, Identity | undefined][] = [
    ['the operator\'s credential is the operator', `Bearer ${operator}`, { kind: 'operator' }],
    ['a node credential is its own node', `Bearer ${node}`, { kind: 'node', nodeId: 'w-1' }],
    ['a job credential is its own job', `Bearer ${job}`, { kind: 'job', jobId: 'job-1' }],
    ['a credential of another cluster is nobody', `Bearer ${mintCredential('operator')}`, undefined],
    ['the object credential admits nobody to the control plane', `Bearer ${mintCredential('object')}`, undefined],
    ['a digest in place of its credential is nobody', `Bearer ${credentialDigest(operator)}`, undefined],
    ['a credential cut short is nobody', `Bearer ${operator.slice(0, -1)}`, undefined],
    ['another scheme is nobody', `Basic ${operator}`, undefined],
    ['no header is nobody', undefined, undefined],
  ];
  for (const [title, header, want] of LOOKUPS) it(title, () => assert.deepEqual(table.lookup(header), want));

  it('each kind of credential carries its prefix, and 256 random bits', () => {
    for (const kind of ['operator', 'node', 'job', 'object'] as const) {
      const c = mintCredential(kind);
      assert.equal(claimedKind(c), kind);
      assert.equal(Buffer.from(c.slice(4), 'base64url').length, 32);
      assert.notEqual(c, mintCredential(kind));
    }
  });

  it('a revoked job credential is nobody; the other job\'s still admits its driver', () => {
    const t = new CredentialTable();
    const a = t.mint('job', { kind: 'job', jobId: 'a' });
    const b = t.mint('job', { kind: 'job', jobId: 'b' });
    t.revoke((id) => id.kind === 'job' && id.jobId === 'a');
    assert.equal(t.lookup(`Bearer ${a}`), undefined);
    assert.deepEqual(t.lookup(`Bearer ${b}`), { kind: 'job', jobId: 'b' });
  });

  it('only node digests are kept for a restart, never a secret', () => {
    const digests = table.nodeDigests();
    assert.deepEqual(Object.keys(digests), ['w-1']);
    assert.equal(digests['w-1'], credentialDigest(node));
    assert.ok(!JSON.stringify(digests).includes(node));
    assert.ok(other.startsWith('rlj_'));
  });

  const HELLOS: [string, Identity, { role: 'agent' | 'driver' | 'cli'; nodeId?: string; jobId?: string }, RegExp | undefined][] = [
    ['the operator may be the CLI', { kind: 'operator' }, { role: 'cli' }, undefined],
    ['the operator may run a driver of a new job', { kind: 'operator' }, { role: 'driver' }, undefined],
    ['the operator may not be an agent', { kind: 'operator' }, { role: 'agent', nodeId: 'w-1' }, /may not connect as agent/],
    ['a node may be its own agent', { kind: 'node', nodeId: 'w-1' }, { role: 'agent', nodeId: 'w-1' }, undefined],
    ['a node may not be another node\'s agent', { kind: 'node', nodeId: 'w-1' }, { role: 'agent', nodeId: 'w-2' }, /of w-1 may not connect as node w-2/],
    ['a node may not be a driver', { kind: 'node', nodeId: 'w-1' }, { role: 'driver' }, /may not connect as driver/],
    ['a job may be its own driver', { kind: 'job', jobId: 'job-1' }, { role: 'driver', jobId: 'job-1' }, undefined],
    ['a job may not drive another job', { kind: 'job', jobId: 'job-1' }, { role: 'driver', jobId: 'job-2' }, /of job-1 may not connect as the driver of job-2/],
    ['a job may not start a new job', { kind: 'job', jobId: 'job-1' }, { role: 'driver' }, /as the driver of a new job/],
    ['a job may not be the CLI', { kind: 'job', jobId: 'job-1' }, { role: 'cli' }, /may not connect as cli/],
  ];
  for (const [title, id, hello, why] of HELLOS) {
    it(title, () => {
      const got = helloRefusal(id, hello);
      if (why) assert.match(got ?? '', why);
      else assert.equal(got, undefined);
    });
  }
});
