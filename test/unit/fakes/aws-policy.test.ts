// The fake's IAM evaluation, which the AWS provider's policy tests rely on: if it were loose, a too-broad policy
// would pass; if it were strict where IAM is not, a right policy would fail.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { evaluate, parsePolicy, type AuthzRequest, type Decision, type PolicyDocument } from '../../fakes/aws/policy.js';
import { parseQuery, strings, trees } from '../../fakes/aws/wire/query.js';

const policy = (statements: object[]): PolicyDocument => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
const TAGGED_RUN = policy([
  { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: 'arn:aws:ec2:*:*:instance/*', Condition: { StringEquals: { 'aws:RequestTag/raylaunch-cluster-name': 'c1' } } },
  { Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' },
  { Effect: 'Deny', Action: 'ec2:DescribeInstanceAttribute', Resource: '*' },
  { Effect: 'Allow', Action: 'ec2:TerminateInstances', Resource: '*', Condition: { StringNotEquals: { 'ec2:ResourceTag/protected': 'yes' } } },
]);
const req = (action: string, resource: string, context: Record<string, string> = {}): AuthzRequest => ({ action, resource, context });
const INSTANCE = 'arn:aws:ec2:us-west-2:123456789012:instance/*';

describe('fake AWS: policy evaluation', () => {
  const CASES: [string, AuthzRequest, Decision][] = [
    ['an action matched by a wildcard is allowed', req('ec2:DescribeInstances', '*'), 'allow'],
    ['actions match case-insensitively', req('EC2:describeinstances', '*'), 'allow'],
    ['an explicit Deny beats a matching Allow', req('ec2:DescribeInstanceAttribute', '*'), 'explicit-deny'],
    ['an action no statement names is denied', req('ec2:StopInstances', INSTANCE), 'implicit-deny'],
    ['StringEquals on a request tag holds with the tag', req('ec2:RunInstances', INSTANCE, { 'aws:RequestTag/raylaunch-cluster-name': 'c1' }), 'allow'],
    ['StringEquals fails with another value', req('ec2:RunInstances', INSTANCE, { 'aws:RequestTag/raylaunch-cluster-name': 'c2' }), 'implicit-deny'],
    ['StringEquals fails when the key is absent', req('ec2:RunInstances', INSTANCE), 'implicit-deny'],
    ['condition key prefixes match case-insensitively', req('ec2:RunInstances', INSTANCE, { 'AWS:requesttag/raylaunch-cluster-name': 'c1' }), 'allow'],
    ['tag keys after the slash are matched as written', req('ec2:RunInstances', INSTANCE, { 'aws:RequestTag/Raylaunch-Cluster-Name': 'c1' }), 'implicit-deny'],
    ['the resource must match', req('ec2:RunInstances', 'arn:aws:ec2:us-west-2:123456789012:volume/*', { 'aws:RequestTag/raylaunch-cluster-name': 'c1' }), 'implicit-deny'],
    ['StringNotEquals holds when the key is absent', req('ec2:TerminateInstances', INSTANCE), 'allow'],
    ['StringNotEquals fails on the named value', req('ec2:TerminateInstances', INSTANCE, { 'ec2:ResourceTag/protected': 'yes' }), 'implicit-deny'],
  ];
  for (const [name, r, want] of CASES) it(name, () => assert.equal(evaluate([TAGGED_RUN], r), want));

  it('refuses documents it cannot judge, rather than judging them wrongly', () => {
    const BAD: [string, string][] = [
      ['not JSON', '{'],
      ['no statement', '{"Version":"2012-10-17"}'],
      ['NotAction', JSON.stringify({ Statement: [{ Effect: 'Allow', NotAction: 'ec2:*', Resource: '*' }] })],
      ['an unmodelled operator', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '1.2.3.4/32' } } }] })],
    ];
    for (const [what, text] of BAD) assert.throws(() => parsePolicy(text), { code: 'MalformedPolicyDocument' }, what);
  });
});

describe('fake AWS: Query form parsing', () => {
  it('reads EC2 numbered lists and awsQuery member lists in index order', () => {
    const p = parseQuery('Filter.2.Name=b&Filter.1.Name=a&Filter.1.Value.2=y&Filter.1.Value.1=x&Filter.10.Name=j&Tags.member.1.Key=k');
    assert.deepEqual(trees(p, 'Filter').map((f) => f.Name), ['a', 'b', 'j']);
    assert.deepEqual(strings(trees(p, 'Filter')[0], 'Value'), ['x', 'y']);
    assert.deepEqual(trees(p, 'Tags').map((t) => t.Key), ['k']);
  });
});
