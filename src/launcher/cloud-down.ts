/**
 * `down`'s cloud half, after the head's service was stopped over SSH: terminate the workers, then the head
 * (so no autoscaler sees its workers vanish and launches more), then let the provider delete what `up` created
 * and list what is left of the cluster. Anything left fails `down` with its name: a cloud cluster that looks gone
 * but is not is how cloud clusters leak.
 */
import { cleansUpCluster, type NodeProvider } from '../../providers/provider.js';
import { CloudLeftoversError } from './errors.js';

/** Rounds of list-and-terminate: an instance launched while the first round ran is caught by the next. */
const ROUNDS = 3;

export async function terminateCloudNodes(provider: NodeProvider, cluster: string, progress: (line: string) => void = () => undefined): Promise<string[]> {
  const terminated: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const nodes = await provider.listNodes();
    if (nodes.length === 0) break;
    for (const kind of ['worker', 'head'] as const) {
      const ids = nodes.filter((n) => n.kind === kind && !terminated.includes(n.id)).map((n) => n.id);
      if (ids.length === 0) continue;
      await provider.terminate(ids);
      terminated.push(...ids);
      progress(`terminated ${ids.length} ${kind} instance${ids.length === 1 ? '' : 's'}: ${ids.join(', ')}`);
    }
    if (nodes.every((n) => terminated.includes(n.id))) {
      // Listed again below only to catch late launches; what was terminated stays listed while it shuts down.
      const again = (await provider.listNodes()).filter((n) => !terminated.includes(n.id));
      if (again.length === 0) break;
    }
  }
  if (cleansUpCluster(provider)) {
    const left = await provider.cleanUp(progress);
    if (left.length > 0) {
      throw new CloudLeftoversError(`down of cluster ${cluster}: the cloud still holds ${left.length} of its resources: ${left.join('; ')}`, {
        remaining: left, hint: `run raylaunch down -c ${cluster} again; if something stays, delete it in the cloud console (it is tagged raylaunch-cluster-name=${cluster})`,
      });
    }
  }
  return terminated;
}
