// The job bench/tasks.ts runs to time a node's start: it asks the autoscaler for one CPU more than the cluster
// has and waits for the node that brings it to register, then lets the cluster scale down again.
import { clusterResources, main, nodes, requestResources } from 'raylaunch';

main(async () => {
  const before = new Set((await nodes()).map((n) => n.nodeId));
  const cpus = (await clusterResources()).CPU ?? 0;
  const t0 = performance.now();
  await requestResources({ numCpus: cpus + 1 });
  try {
    for (;;) {
      const fresh = (await nodes()).find((n) => !before.has(n.nodeId) && n.state === 'ALIVE');
      if (fresh) {
        console.log(`NODE_START ${JSON.stringify({ ms: performance.now() - t0, nodeId: fresh.nodeId })}`);
        return;
      }
      if (performance.now() - t0 > 30_000) throw new Error('no new node registered within 30 s of the request');
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await requestResources({});
  }
});
