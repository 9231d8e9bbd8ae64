import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { awsName, clientToken, headRoleName } from '../../../../providers/aws/names.js';

describe('AWS names and client tokens', () => {
  it('a client token is at most 64 characters, the same for the same request, subnet and generation', () => {
    const long = 'c'.repeat(60);
    const t = clientToken(long, 'r'.repeat(200), 'subnet-0123456789abcdef0', 12345);
    assert.ok(t.length <= 64, t);
    assert.equal(clientToken('c', 'r1', 's1', 0), clientToken('c', 'r1', 's1', 0));
  });

  const DIFFERENT: [string, Parameters<typeof clientToken>][] = [
    ['another request', ['c', 'r2', 's1', 0]],
    ['another subnet', ['c', 'r1', 's2', 0]],
    ['a new generation (after a definite failure)', ['c', 'r1', 's1', 1]],
    ['another cluster', ['d', 'r1', 's1', 0]],
  ];
  for (const [name, args] of DIFFERENT) it(`${name} gets another client token`, () => assert.notEqual(clientToken(...args), clientToken('c', 'r1', 's1', 0)));

  it('IAM names stay within 64 characters and apart for long cluster names', () => {
    const a = headRoleName('x'.repeat(60));
    const b = headRoleName(`${'x'.repeat(59)}y`);
    assert.ok(a.length <= 64 && b.length <= 64);
    assert.notEqual(a, b);
    assert.equal(headRoleName('demo'), 'raylaunch-head-demo');
    assert.equal(awsName('p-', 'short'), 'p-short');
  });
});
