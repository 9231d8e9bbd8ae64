import type { Message } from '../protocol/messages.js';
import type { Peer } from './control-plane.js';

/**
 * Which connection reaches whom: a client id (driver, CLI, or a worker process behind its node's agent) and a
 * node id (its agent) map to the peer their messages go through.
 */
export class PeerRegistry {
  private readonly clients = new Map<string, { peer: Peer; jobId: string | undefined }>();
  private readonly nodes = new Map<string, Peer>();

  /** Replies to this client go through this peer; `jobId`: the job it acts for (a driver's, a worker process's). */
  route(clientId: string, peer: Peer, jobId?: string): void {
    this.clients.set(clientId, { peer, jobId });
  }

  client(clientId: string): { peer: Peer; jobId: string | undefined } | undefined {
    return this.clients.get(clientId);
  }

  /** The job of a client, as its hello (or its agent's stamp) said. */
  jobOf(clientId: string): string | undefined {
    return this.clients.get(clientId)?.jobId;
  }

  /** The jobs of the clients behind one connection (an agent's worker processes). */
  jobsVia(peer: Peer): Set<string> {
    const jobs = new Set<string>();
    for (const c of this.clients.values()) if (c.peer === peer && c.jobId !== undefined) jobs.add(c.jobId);
    return jobs;
  }

  toClient(client: string, m: Message): void {
    this.clients.get(client)?.peer.send(m);
  }

  /** This peer is the node's agent (authorize.ts lets no other connection take a node id that has one). */
  bindNode(nodeId: string, peer: Peer): void {
    this.nodes.set(nodeId, peer);
  }

  node(nodeId: string): Peer | undefined {
    return this.nodes.get(nodeId);
  }

  toNode(nodeId: string, m: Message): void {
    this.nodes.get(nodeId)?.send(m);
  }

  /** The worker processes behind each node's agent (the clients its connection carries for a job), by node. */
  workersByNode(): Map<string, { clientId: string; jobId: string }[]> {
    const out = new Map<string, { clientId: string; jobId: string }[]>();
    const nodeOf = new Map<Peer, string>();
    for (const [nodeId, peer] of this.nodes) nodeOf.set(peer, nodeId);
    for (const [clientId, c] of this.clients) {
      const nodeId = nodeOf.get(c.peer);
      if (nodeId === undefined || c.jobId === undefined) continue;
      let list = out.get(nodeId);
      if (!list) out.set(nodeId, (list = []));
      list.push({ clientId, jobId: c.jobId });
    }
    return out;
  }

  /** Every node's agent, once each. */
  nodePeers(): Peer[] {
    return [...new Set(this.nodes.values())];
  }

  /**
   * Forgets a closed connection: the clients it carried, and the node whose agent it still was (a node that
   * registered again on a newer connection keeps that one).
   */
  closed(peer: Peer): { clients: string[]; nodeId: string | undefined } {
    const clients: string[] = [];
    for (const [client, c] of this.clients) {
      if (c.peer !== peer) continue;
      this.clients.delete(client);
      clients.push(client);
    }
    const nodeId = peer.nodeId && this.nodes.get(peer.nodeId) === peer ? peer.nodeId : undefined;
    if (nodeId !== undefined) this.nodes.delete(nodeId);
    return { clients, nodeId };
  }
}
