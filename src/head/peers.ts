import type { Message } from '../protocol/messages.js';
import type { Peer } from './control-plane.js';

/**
 * Which connection reaches whom: a client id (driver, CLI, or a worker process behind its node's agent) and a
 * node id (its agent) map to the peer their messages go through.
 */
export class PeerRegistry {
  private readonly clients = new Map<string, Peer>();
  private readonly nodes = new Map<string, Peer>();

  /** Replies to this client go through this peer. */
  route(clientId: string, peer: Peer): void {
    this.clients.set(clientId, peer);
  }

  toClient(client: string, m: Message): void {
    this.clients.get(client)?.send(m);
  }

  /** This peer is the node's agent (the latest registration wins). */
  bindNode(nodeId: string, peer: Peer): void {
    this.nodes.set(nodeId, peer);
  }

  node(nodeId: string): Peer | undefined {
    return this.nodes.get(nodeId);
  }

  toNode(nodeId: string, m: Message): void {
    this.nodes.get(nodeId)?.send(m);
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
    for (const [client, p] of this.clients) {
      if (p !== peer) continue;
      this.clients.delete(client);
      clients.push(client);
    }
    const nodeId = peer.nodeId && this.nodes.get(peer.nodeId) === peer ? peer.nodeId : undefined;
    if (nodeId !== undefined) this.nodes.delete(nodeId);
    return { clients, nodeId };
  }
}
