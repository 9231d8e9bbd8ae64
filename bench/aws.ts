// bench/aws.ts — `raylaunch up` of an AWS cluster (head + 10 workers) against the fake AWS on the test bridge,
// as test/integration/clusters/aws-up.test.ts runs it: instances are sshd test hosts, the CLI runs in a network
// namespace whose only link is the bridge, with dummy keys and empty AWS files. Figures, each the median of trials:
//   1. up's wall time with the fake at zero latency, and with EC2-like latency (pending → running 10 s);
//   2. raylaunch's own time beyond the cloud's latency: at 10 s per boot the critical path holds two boots (the
//      head, then the workers it launches), so overhead = wall − 20 s (goal ≤ 3 s);
//   3. the EC2 calls the head makes for the scale-up from 0 to 10 workers (one round: min_workers asks at once);
//   4. the import cost of the AWS SDK clients in a fresh Node process (raylaunch loads them only for aws clusters).
// Nothing leaves this machine: the fake listens on 10.200.0.1, never a metadata address. Run: npm run bench:aws
// (as root, like the integration tests); BENCH_QUICK=1 runs one trial of each; BENCH_TIMELINE=1 prints each
// trial's timeline (the CLI's progress lines, the fake's calls and instance transitions, ms from the start of up).
import type { CallRecord, TransitionEvent } from '../test/fakes/aws/index.js';
import { awsConfigFor, awsTestBed, type AwsTestBed } from '../test/helpers/aws-cluster.js';
import { DUMMY_CREDENTIALS, isolateAwsEnv } from '../test/helpers/aws-env.js';
import { callText, figure, IMPORT_TRIALS, importMs, median, printTable, TRIALS, upTrials } from './lib/cloud-up.js';

const WORKERS = 10;
const BOOT_MS = 10_000;

const trials = (bootDelayMs: number) => upTrials<AwsTestBed, CallRecord>({
  bed: () => awsTestBed(WORKERS + 1, { bootDelayMs }),
  config: (name) => awsConfigFor(name, WORKERS),
  watch: (bed, timeline) => {
    const onTransition = (e: TransitionEvent) => timeline.add(`fake: ${e.instanceId} ${e.from ?? 'new'} → ${e.to}`);
    bed.fake.cloud.on('transition', onTransition);
    return () => bed.fake.cloud.off('transition', onTransition);
  },
  // The head's calls are the ones signed by its role.
  headCall: (c) => (c.accessKeyId === DUMMY_CREDENTIALS.accessKeyId || c.roleName === undefined ? undefined : c.action),
  callLine: (c) => `call: ${c.action} by ${c.roleName ? 'head' : 'cli'}`,
  label: `boot ${bootDelayMs / 1000} s`,
});

const restoreEnv = isolateAwsEnv();
try {
  console.error(`up of a head + ${WORKERS} workers, ${TRIALS} trial(s) per latency`);
  const zero = await trials(0);
  const ec2Like = await trials(BOOT_MS);
  // The three SDK clients, as `up` of an aws cluster loads them.
  const imports = Array.from({ length: IMPORT_TRIALS }, () => importMs(['@aws-sdk/client-ec2', '@aws-sdk/client-iam', '@aws-sdk/client-sts']));
  const wall0 = zero.map((t) => t.wallMs);
  const wallL = ec2Like.map((t) => t.wallMs);
  const overhead = wallL.map((w) => w - 2 * BOOT_MS);
  const calls = ec2Like[0]?.headCalls ?? new Map<string, number>();
  printTable([
    [`up, head + ${WORKERS} workers, fake at zero latency`, figure(wall0)],
    [`up, head + ${WORKERS} workers, pending → running ${BOOT_MS / 1000} s`, figure(wallL)],
    [`raylaunch's overhead beyond the cloud (wall − 2 × ${BOOT_MS / 1000} s boots; goal ≤ 3 s)`, figure(overhead)],
    [`RunInstances for the scale-up 0 → ${WORKERS}`, String(calls.get('RunInstances') ?? 0)],
    ['the head\'s EC2 calls during up (10 s boots; the fake pages by 5)', callText(calls)],
    [`AWS SDK import (client-ec2 + iam + sts), fresh Node ${process.version}`, `${Math.round(median(imports))} ms`],
  ]);
  console.log('\nFor comparison (issue 14, not measured here): SkyPilot adds ~47 s per launch beyond the cloud; Ray\'s `up` ≥ 15 s by structure.');
} finally {
  restoreEnv();
}
