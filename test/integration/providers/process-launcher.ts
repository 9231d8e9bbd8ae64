// A launcher in a process of its own, for tests that kill one mid-launch: launches one worker of type `idle` of
// a process cluster (argv: state dir, cluster name, the idle node script), then exits. Run with `node --import tsx`.
import { ProcessProvider } from '../../../providers/process/index.js';

const [stateDir = '', clusterName = '', script = ''] = process.argv.slice(2);
const provider = new ProcessProvider({
  clusterName, stateDir, graceMs: 2000,
  command: () => ({ file: process.execPath, args: [script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }),
});
await provider.launch({ requestId: 'r-held', nodeType: 'idle', kind: 'worker', count: 1 });
