import { fromFiles, clusterNames, type KnownCluster } from './known-clusters.js';
import { Session } from './session.js';

const ASK_HEAD_MS = 10_000;

async function askHead(c: KnownCluster): Promise<KnownCluster> {
  if (c.state !== 'UNREACHABLE') return c;
  let session: Session | undefined;
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ASK_HEAD_MS).unref());
  try {
    const status = await Promise.race([(async () => {
      session = await Session.open(c.name);
      return session.status();
    })(), timeout]);
    if (!status) return c;
    return { ...c, state: 'UP', nodes: status.nodes.filter((n) => n.state !== 'DEAD').length };
  } catch {
    return c;
  } finally {
    await session?.close().catch(() => undefined);
  }
}

/** Every cluster this machine knows (~/.raylaunch/clusters), each head asked at once. */
export async function listClusters(): Promise<KnownCluster[]> {
  return Promise.all(clusterNames().map((n) => askHead(fromFiles(n))));
}
