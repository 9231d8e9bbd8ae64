// bench/gcp.ts — `raylaunch up` of a GCP cluster (head + 10 workers) against the fake GCP on the test bridge, as
// test/integration/clusters/gcp-up.test.ts runs it: instances are sshd test hosts, the CLI runs in a network
// namespace whose only link is the bridge, with an empty HOME and CLOUDSDK_CONFIG and dummy credentials whose token
// endpoint is the fake's. Figures, each the median of trials (the same as bench/aws.ts):
//   1. up's wall time with the fake at zero latency, and with GCE-like latency (insert → RUNNING 10 s, each
//      operation RUNNING 2 s before DONE);
//   2. raylaunch's own time beyond the cloud's latency: the critical path holds two boots (the head, then the
//      workers it launches), so overhead = wall − 20 s (goal ≤ 3 s);
//   3. the Compute calls the head makes for the scale-up from 0 to 10 workers (one round: min_workers asks at once);
//   4. the import cost of the Compute clients and google-auth-library in a fresh Node process, as `up` of a gcp
//      cluster loads them.
// Nothing leaves this machine: the fake listens on 10.200.0.1, never a metadata address. Run: npm run bench:gcp
// (as root, like the integration tests); BENCH_QUICK=1 runs one trial of each; BENCH_TIMELINE=1 prints each
// trial's timeline (the CLI's progress lines, the fake's calls and instance transitions, ms from the start of up).
import { DUMMY_USER, type CallRecord, type FakeGcpOptions } from '../test/fakes/gcp/index.js';
import { gcpConfigFor, gcpTestBed, type GcpTestBed } from '../test/helpers/gcp-cluster.js';
import { isolateGcpEnv } from '../test/helpers/gcp-env.js';
import { callText, figure, IMPORT_TRIALS, importMs, median, printTable, TRIALS, upTrials } from './lib/cloud-up.js';

const WORKERS = 10;
const BOOT_MS = 10_000;
const OPERATION_MS = 2000;
/** The modules providers/gcp/sdk.ts loads, each client from its own file. */
const MODULES = ['instances', 'zone_operations', 'global_operations', 'firewalls', 'images', 'machine_types', 'projects', 'regions']
  .map((c) => `@google-cloud/compute/build/src/v1/${c}_client.js`).concat('google-auth-library');

const who = (c: CallRecord) => (c.principal === DUMMY_USER.email ? 'cli' : c.principal === undefined ? '-' : 'head');

const trials = (latency: Pick<FakeGcpOptions, 'bootDelayMs' | 'operationDelayMs'>) => upTrials<GcpTestBed, CallRecord>({
  bed: () => gcpTestBed(WORKERS + 1, latency),
  config: (name, bed) => gcpConfigFor(name, WORKERS, bed.fake.project),
  watch: (bed, timeline) => {
    const onChange = (e: { instance?: string; to?: string }) => { if (e.to !== undefined) timeline.add(`fake: ${e.instance ?? ''} → ${e.to}`); };
    // The fake's own long-polls listen for changes too: eleven nodes and this one pass Node's default of ten.
    bed.fake.cloud.setMaxListeners(50);
    bed.fake.cloud.on('change', onChange);
    return () => bed.fake.cloud.off('change', onChange);
  },
  // The head's calls are the ones made with its service account's token.
  headCall: (c) => (c.principal === undefined || c.principal === DUMMY_USER.email ? undefined : c.method),
  callLine: (c) => `call: ${c.method} by ${who(c)} (${c.status})`,
  label: `boot ${(latency.bootDelayMs ?? 0) / 1000} s`,
});

const restoreEnv = isolateGcpEnv();
try {
  console.error(`up of a head + ${WORKERS} workers, ${TRIALS} trial(s) per latency`);
  const zero = await trials({ bootDelayMs: 0, operationDelayMs: 0 });
  const gceLike = await trials({ bootDelayMs: BOOT_MS, operationDelayMs: OPERATION_MS });
  // The Compute clients and google-auth-library, as `up` of a gcp cluster loads them.
  const imports = Array.from({ length: IMPORT_TRIALS }, () => importMs(MODULES));
  const wall0 = zero.map((t) => t.wallMs);
  const wallL = gceLike.map((t) => t.wallMs);
  const overhead = wallL.map((w) => w - 2 * BOOT_MS);
  const calls = gceLike[0]?.headCalls ?? new Map<string, number>();
  printTable([
    [`up, head + ${WORKERS} workers, fake at zero latency`, figure(wall0)],
    [`up, head + ${WORKERS} workers, insert → RUNNING ${BOOT_MS / 1000} s, operations ${OPERATION_MS / 1000} s`, figure(wallL)],
    [`raylaunch's overhead beyond the cloud (wall − 2 × ${BOOT_MS / 1000} s boots; goal ≤ 3 s)`, figure(overhead)],
    [`instances.bulkInsert for the scale-up 0 → ${WORKERS}`, String(calls.get('instances.bulkInsert') ?? 0)],
    ['the head\'s Compute calls during up (GCE-like latency; the fake pages by 5)', callText(calls)],
    [`@google-cloud/compute (8 v1 clients) + google-auth-library import, fresh Node ${process.version}`, `${Math.round(median(imports))} ms`],
  ]);
} finally {
  restoreEnv();
}
