import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { CapacityError, ProviderAuthError, TransientProviderError } from '../../../../providers/errors.js';
import { IAM_PROPAGATION_MS, type LaunchPlan, launchRequest, type RequestState, type RunCall } from '../../../../providers/aws/launch.js';

const sdk = (name: string, status: number, message = name) => Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

/** A scripted EC2: each call takes the next outcome (an error, or a number of instances made). */
function ec2(outcomes: (Error | number)[], existing = 0) {
  const calls: RunCall[] = [];
  let made = existing;
  let clock = 0;
  return {
    calls,
    get made() { return made; },
    deps: {
      run: async (c: RunCall) => {
        calls.push(c);
        const o = outcomes.shift() ?? c.count;
        if (o instanceof Error) throw o;
        made += o;
        return Array.from({ length: o }, (_, i) => `i-${calls.length}-${i}`);
      },
      have: async () => made,
      sleep: async (ms: number) => { clock += ms; },
      now: () => clock,
    },
  };
}

const plan = (o: Partial<LaunchPlan> = {}): LaunchPlan => ({ cluster: 'c', requestId: 'r1', count: 3, gang: false, subnets: ['subnet-a', 'subnet-b'], what: '3 × m5.large', onHead: false, ...o });
const fresh = (): RequestState => ({ calls: 0, generation: 0, subnetIndex: 0 });

describe('launching one request on EC2', () => {
  it('one RunInstances for the whole request, MinCount 1 (MinCount = count for a placement-group gang)', async () => {
    const e = ec2([]);
    assert.equal((await launchRequest(plan(), fresh(), e.deps)).length, 3);
    assert.deepEqual(e.calls.map((c) => [c.subnetId, c.count, c.minCount]), [['subnet-a', 3, 1]]);
    const g = ec2([]);
    await launchRequest(plan({ gang: true }), fresh(), g.deps);
    assert.equal(g.calls[0]?.minCount, 3);
  });

  it('no capacity in the first zone: the next subnet, in the same launch', async () => {
    const e = ec2([sdk('InsufficientInstanceCapacity', 500)]);
    await launchRequest(plan(), fresh(), e.deps);
    assert.deepEqual(e.calls.map((c) => c.subnetId), ['subnet-a', 'subnet-b']);
    assert.equal(e.made, 3);
  });

  it('no capacity anywhere: CapacityError (the autoscaler backs the type off), and the next try starts at the first zone', async () => {
    const e = ec2([sdk('InsufficientInstanceCapacity', 500), sdk('Unsupported', 400)]);
    const s = fresh();
    await assert.rejects(launchRequest(plan(), s, e.deps), (err: unknown) => err instanceof CapacityError && err.reason === 'capacity');
    assert.equal(s.subnetIndex, 0);
  });

  it('fewer instances than asked (MinCount 1): the rest in the next zone under its own token', async () => {
    const e = ec2([1]);
    await launchRequest(plan(), fresh(), e.deps);
    assert.deepEqual(e.calls.map((c) => [c.subnetId, c.count]), [['subnet-a', 3], ['subnet-b', 2]]);
    assert.notEqual(e.calls[0]?.token, e.calls[1]?.token);
  });

  it('an unknown outcome (5xx, timeout) is repeated with the same token, so EC2 returns the same reservation', async () => {
    const e = ec2([sdk('InternalError', 500), Object.assign(new Error('timeout'), { name: 'TimeoutError' })]);
    await launchRequest(plan(), fresh(), e.deps);
    assert.equal(e.calls.length, 3);
    assert.equal(new Set(e.calls.map((c) => c.token)).size, 1);
  });

  it('an outcome still unknown after the repeats: the next launch of the request repeats that very call first', async () => {
    const e = ec2([sdk('InternalError', 500), sdk('InternalError', 500), sdk('InternalError', 500)]);
    const s = fresh();
    await assert.rejects(launchRequest(plan(), s, e.deps), TransientProviderError);
    const token = e.calls[0]?.token;
    await launchRequest(plan(), s, e.deps);
    assert.equal(e.calls[3]?.token, token);
    assert.equal(e.made, 3);
  });

  it('after a definite failure, the request\'s next launch counts what exists and launches the rest under a new token', async () => {
    const e = ec2([sdk('VcpuLimitExceeded', 400)], 1);
    const s = fresh();
    await assert.rejects(launchRequest(plan(), s, e.deps), (err: unknown) => err instanceof CapacityError && err.reason === 'quota');
    await launchRequest(plan(), s, e.deps);
    assert.equal(e.calls[1]?.count, 2, 'one instance of the request exists already');
    assert.notEqual(e.calls[1]?.token, e.calls[0]?.token);
  });

  it('a request launched in full launches nothing when it is asked for again', async () => {
    const e = ec2([]);
    const s = fresh();
    await launchRequest(plan(), s, e.deps);
    await launchRequest(plan(), s, e.deps);
    assert.equal(e.calls.length, 1);
  });

  it('a fresh instance profile EC2 does not know yet is retried (IAM propagation), for up to a minute', async () => {
    const iam = () => sdk('InvalidParameterValue', 400, 'Invalid IAM Instance Profile name');
    const e = ec2([iam(), iam(), 3]);
    await launchRequest(plan(), fresh(), e.deps);
    assert.equal(e.made, 3);
    const never = ec2(Array.from({ length: 100 }, iam));
    await assert.rejects(launchRequest(plan(), fresh(), never.deps), TransientProviderError);
    assert.ok(never.deps.now() >= IAM_PROPAGATION_MS && never.deps.now() < IAM_PROPAGATION_MS + 10_000);
  });

  it('credentials refused: ProviderAuthError at once, no other zone tried', async () => {
    const e = ec2([sdk('UnauthorizedOperation', 403)]);
    await assert.rejects(launchRequest(plan(), fresh(), e.deps), ProviderAuthError);
    assert.equal(e.calls.length, 1);
  });

  it('throttled: repeated with backoff, then TransientProviderError', async () => {
    const e = ec2([sdk('RequestLimitExceeded', 503), sdk('RequestLimitExceeded', 503), sdk('RequestLimitExceeded', 503)]);
    await assert.rejects(launchRequest(plan(), fresh(), e.deps), TransientProviderError);
    assert.equal(e.calls.length, 3);
    assert.ok(e.deps.now() > 0);
  });
});
