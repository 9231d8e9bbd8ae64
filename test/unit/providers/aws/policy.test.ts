import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'mocha';
import { headPolicy, type HeadPolicyInput } from '../../../../providers/aws/policy.js';

const GOLDEN = new URL('../../../fixtures/aws/head-policy.json', import.meta.url);
const INPUT: HeadPolicyInput = {
  cluster: 'demo', partition: 'aws', region: 'us-west-2', account: '123456789012',
  subnetIds: ['subnet-0bbb', 'subnet-0aaa'], securityGroupIds: ['sg-0123'], imageIds: ['ami-0abc'], keyName: 'raylaunch-demo-0123456789',
  spot: true, workerRoleArns: [],
};

describe('the head role\'s policy', () => {
  it('is the golden file, statement by statement (UPDATE_GOLDEN=1 rewrites it)', () => {
    const got = `${JSON.stringify(headPolicy(INPUT), null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, got);
    assert.equal(got, readFileSync(GOLDEN, 'utf8'));
  });

  it('is printed in the README as it is', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes(`\`\`\`json\n${readFileSync(GOLDEN, 'utf8')}\`\`\``), 'README.md: the AWS section\'s policy differs from test/fixtures/aws/head-policy.json');
  });

  it('never allows DescribeInstanceAttribute (UserData holds host keys), a wildcard action, or an untagged terminate', () => {
    const p = headPolicy(INPUT);
    const actions = p.Statement.flatMap((s) => [s.Action].flat());
    assert.ok(!actions.includes('ec2:DescribeInstanceAttribute'));
    assert.ok(actions.every((a) => !a.includes('*')), actions.join(', '));
    for (const s of p.Statement) {
      const acts = [s.Action].flat();
      if (acts.some((a) => /Terminate|Stop|Start/.test(a))) assert.deepEqual(s.Condition, { StringEquals: { 'ec2:ResourceTag/raylaunch-cluster-name': 'demo' } });
      if (acts.includes('ec2:CreateTags')) assert.deepEqual(s.Condition, { StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
    }
  });

  it('passes a role only when a worker type has one, and allows spot only where spot is configured', () => {
    const plain = headPolicy({ ...INPUT, spot: false });
    assert.ok(!JSON.stringify(plain).includes('spot'));
    assert.ok(!JSON.stringify(plain).includes('iam:PassRole'));
    const passing = headPolicy({ ...INPUT, workerRoleArns: ['arn:aws:iam::123456789012:role/workers'] });
    const pass = passing.Statement.find((s) => s.Action === 'iam:PassRole');
    assert.deepEqual(pass?.Resource, ['arn:aws:iam::123456789012:role/workers']);
  });
});
